// ek_plugin_*: loading modules and describing registered plugins.
#include "capi/guard.h"
#include "capi/handles.h"
#include "embedkit/embedkit.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

namespace {
void Describe(const ek::RegisteredPlugin& p, ek_plugin_info* out) {
  const ek_plugin_descriptor* d = p.descriptor;
  ek_plugin_info info{};
  info.struct_size = sizeof(info);
  info.id = d->id;
  info.name = d->name ? d->name : d->id;
  info.version = d->version ? d->version : "";
  info.vendor = d->vendor ? d->vendor : "";
  info.description = d->description ? d->description : "";
  info.extensions = p.extension_ptrs.data();
  info.path = p.path.empty() ? nullptr : p.path.c_str();
  info.abi_version = d->abi_version;
  ek::capi::WriteInfo(out, info, "out_info");
}
}  // namespace

extern "C" {

EK_API ek_status ek_plugin_load(ek_context* context, const char* path, const char** out_id) {
  return Guard("ek_plugin_load", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(path, "path");
    const ek::RegisteredPlugin& p = context->impl->plugins().LoadModule(path);
    if (out_id) *out_id = p.descriptor->id;
  });
}

EK_API ek_status ek_plugin_load_dir(ek_context* context, const char* folders, size_t* out_loaded) {
  return Guard("ek_plugin_load_dir", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(folders, "folders");
    size_t n = context->impl->plugins().LoadFolders(folders);
    if (out_loaded) *out_loaded = n;
  });
}

EK_API ek_status ek_plugin_count(ek_context* context, size_t* out_count) {
  return Guard("ek_plugin_count", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(out_count, "out_count");
    *out_count = context->impl->plugins().Count();
  });
}

EK_API ek_status ek_plugin_info_at(ek_context* context, size_t index, ek_plugin_info* out_info) {
  return Guard("ek_plugin_info_at", [&] {
    RequireNotNull(context, "context");
    const ek::RegisteredPlugin* p = context->impl->plugins().At(index);
    if (!p) {
      ek::Fail(EK_ERR_NOT_FOUND, "index " + std::to_string(index) + " is out of range (" +
                                     std::to_string(context->impl->plugins().Count()) +
                                     " plugins registered)");
    }
    Describe(*p, out_info);
  });
}

EK_API ek_status ek_plugin_info_find(ek_context* context, const char* id, ek_plugin_info* out_info) {
  return Guard("ek_plugin_info_find", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(id, "id");
    const ek::RegisteredPlugin* p = context->impl->plugins().Find(id);
    if (!p) ek::Fail(EK_ERR_NOT_FOUND, std::string("no plugin with id '") + id + "' is registered");
    Describe(*p, out_info);
  });
}

}  // extern "C"
