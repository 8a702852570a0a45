// ek_instance_* and the typed extension wrappers (ek.encoder/1). Every call into a
// plugin goes through CallPlugin: exceptions are caught, the plugin's own message
// (ek_host::set_error) is attached, and statuses outside the ABI become EK_ERR_PLUGIN.
#include <cmath>
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"
#include "capi/host_vtable.h"
#include "embedkit/embedkit.h"
#include "json/json.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

namespace {

const char* PluginId(const ek_instance* instance) { return instance->plugin->descriptor->id; }

template <class F>
void CallPlugin(const ek_instance* instance, const char* what, F&& call) {
  ek::TakePluginError();
  ek_status status;
  try {
    status = call();
  } catch (const std::exception& e) {
    ek::Fail(EK_ERR_PLUGIN, std::string("plugin '") + PluginId(instance) + "' threw from " + what +
                                ": " + e.what());
  } catch (...) {
    ek::Fail(EK_ERR_PLUGIN, std::string("plugin '") + PluginId(instance) + "' threw from " + what);
  }
  if (status == EK_OK) return;
  std::string message = ek::TakePluginError();
  if (message.empty()) message = ek::StatusName(status);
  if (status < 0 || status > EK_ERR_PLUGIN) status = EK_ERR_PLUGIN;
  ek::Fail(status, std::string("plugin '") + PluginId(instance) + "' " + what + ": " + message);
}

// A plugin that returns EK_OK with NaN or infinity in its output would hand the
// caller vectors that poison every later search: refuse them as plugin misbehaviour,
// naming the first bad component.
void RequireFiniteOutput(const ek_instance* instance, const float* out, size_t count, size_t dim) {
  for (size_t i = 0; i < count * dim; ++i) {
    if (std::isfinite(out[i])) continue;
    const char* value = std::isnan(out[i]) ? "nan" : out[i] > 0 ? "inf" : "-inf";
    ek::Fail(EK_ERR_PLUGIN, std::string("plugin '") + PluginId(instance) +
                                "' encode returned a non-finite vector: item " +
                                std::to_string(i / dim) + ", component " + std::to_string(i % dim) +
                                " is " + value);
  }
}

const ek_encoder_ext* Encoder(ek_instance* instance) {
  RequireNotNull(instance, "instance");
  auto* ext = static_cast<const ek_encoder_ext*>(
      instance->plugin->descriptor->get_extension(instance->data, EK_EXT_ENCODER));
  if (!ext) {
    ek::Fail(EK_ERR_UNSUPPORTED, std::string("plugin '") + PluginId(instance) +
                                     "' does not provide extension " EK_EXT_ENCODER);
  }
  if (ext->struct_size < sizeof(ek_encoder_ext) || !ext->dim || !ext->encode) {
    ek::Fail(EK_ERR_ABI_MISMATCH, std::string("plugin '") + PluginId(instance) +
                                      "' has an incomplete " EK_EXT_ENCODER " table");
  }
  return ext;
}

}  // namespace

extern "C" {

EK_API ek_status ek_instance_create(ek_context* context, const char* plugin_id,
                                    const char* config_json, ek_instance** out_instance) {
  return Guard("ek_instance_create", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(plugin_id, "plugin_id");
    RequireNotNull(out_instance, "out_instance");
    *out_instance = nullptr;
    const ek::RegisteredPlugin* plugin = context->impl->plugins().Find(plugin_id);
    if (!plugin) {
      ek::Fail(EK_ERR_NOT_FOUND, std::string("no plugin with id '") + plugin_id + "' is registered");
    }
    std::string config = (config_json && *config_json) ? config_json : "{}";
    ek::json::ValidateObject(config, "config_json");
    auto instance = std::make_unique<ek_instance>();
    instance->context = context->impl;
    instance->plugin = plugin;
    ek::capi::InitHostVtable(instance.get());
    void* data = nullptr;
    CallPlugin(instance.get(), "create", [&] {
      return plugin->descriptor->create(&instance->host, config.c_str(), config.size(), &data);
    });
    if (!data) {
      ek::Fail(EK_ERR_PLUGIN, std::string("plugin '") + plugin_id + "' create returned no instance");
    }
    instance->data = data;
    *out_instance = instance.release();
  });
}

EK_API void ek_instance_free(ek_instance* instance) {
  if (!instance) return;
  try {
    instance->plugin->descriptor->destroy(instance->data);
  } catch (...) {
    instance->context->log().Log(EK_LOG_ERROR, std::string("plugin '") + PluginId(instance) +
                                                   "' threw from destroy");
  }
  delete instance;
}

EK_API int32_t ek_instance_has_extension(ek_instance* instance, const char* extension_id) {
  if (!instance || !extension_id) return 0;
  try {
    return instance->plugin->descriptor->get_extension(instance->data, extension_id) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

EK_API ek_status ek_instance_get_extension(ek_instance* instance, const char* extension_id,
                                           const void** out_table) {
  return Guard("ek_instance_get_extension", [&] {
    RequireNotNull(instance, "instance");
    RequireNotNull(extension_id, "extension_id");
    RequireNotNull(out_table, "out_table");
    *out_table = instance->plugin->descriptor->get_extension(instance->data, extension_id);
    if (!*out_table) {
      ek::Fail(EK_ERR_NOT_FOUND, std::string("plugin '") + PluginId(instance) +
                                     "' does not provide extension '" + extension_id + "'");
    }
  });
}

EK_API void* ek_instance_plugin_data(ek_instance* instance) {
  return instance ? instance->data : nullptr;
}

EK_API ek_status ek_encoder_dim(ek_instance* instance, size_t* out_dim) {
  return Guard("ek_encoder_dim", [&] {
    const ek_encoder_ext* enc = Encoder(instance);
    RequireNotNull(out_dim, "out_dim");
    CallPlugin(instance, "dim", [&] { return enc->dim(instance->data, out_dim); });
  });
}

EK_API ek_status ek_encode(ek_instance* instance, const ek_string_view* items, size_t count,
                           float* out, size_t out_capacity, size_t* out_needed) {
  return Guard("ek_encode", [&] {
    const ek_encoder_ext* enc = Encoder(instance);
    if (count == 0) {
      if (out_needed) *out_needed = 0;
      return;
    }
    RequireNotNull(items, "items");
    for (size_t i = 0; i < count; ++i) {
      if (!items[i].data && items[i].length != 0) {
        ek::Fail(EK_ERR_INVALID_ARGUMENT,
                 "items[" + std::to_string(i) + "].data is NULL with length " +
                     std::to_string(items[i].length));
      }
    }
    size_t dim = 0;
    CallPlugin(instance, "dim", [&] { return enc->dim(instance->data, &dim); });
    size_t needed = count * dim;
    if (out_needed) *out_needed = needed;
    if (!out || out_capacity < needed) {
      ek::Fail(EK_ERR_BUFFER_TOO_SMALL, "out holds " + std::to_string(out ? out_capacity : 0) +
                                            " floats; " + std::to_string(count) + " items x dim " +
                                            std::to_string(dim) + " need " + std::to_string(needed));
    }
    CallPlugin(instance, "encode", [&] { return enc->encode(instance->data, items, count, out); });
    RequireFiniteOutput(instance, out, count, dim);
  });
}

}  // extern "C"
