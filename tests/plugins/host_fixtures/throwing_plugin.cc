// A C++ plugin that misbehaves in the ways a careless plugin can: its encoder throws
// a C++ exception, returns a status outside the ABI, fails with a message, or
// "succeeds" with NaN or infinity in its output. The host must turn each into a
// status and a message, never a crash or a non-finite vector.
#include <embedkit/plugin.h>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

struct Instance {
  const ek_host* host;
  std::string mode;
};

ek_status Create(const ek_host* host, const char* config, size_t length, void** out) {
  char mode[32];
  ek_status s = host->config_string(host, config, length, "mode", "throw", mode, sizeof mode);
  if (s != EK_OK) return s;
  *out = new Instance{host, mode};
  return EK_OK;
}

void Destroy(void* instance) { delete static_cast<Instance*>(instance); }

constexpr size_t kDim = 4;

ek_status Dim(void*, size_t* out) {
  *out = kDim;
  return EK_OK;
}

ek_status Encode(void* p, const ek_string_view*, size_t count, float* out) {
  auto* self = static_cast<Instance*>(p);
  if (self->mode == "nan" || self->mode == "inf") {
    // Finite everywhere except the last component of the last item.
    for (size_t i = 0; i < count * kDim; ++i) out[i] = 0.5f;
    out[count * kDim - 1] = self->mode == "nan" ? std::numeric_limits<float>::quiet_NaN()
                                                : -std::numeric_limits<float>::infinity();
    return EK_OK;
  }
  if (self->mode == "throw") throw std::runtime_error("encoder exploded");
  if (self->mode == "bad_status") return 12345;
  self->host->set_error(self->host, "refusing on purpose");
  return EK_ERR_INVALID_ARGUMENT;
}

const ek_encoder_ext kEncoder = {sizeof(ek_encoder_ext), Dim, Encode};

const void* GetExtension(void*, const char* id) {
  return std::strcmp(id, EK_EXT_ENCODER) == 0 ? &kEncoder : nullptr;
}

const char* const kExtensions[] = {EK_EXT_ENCODER, nullptr};

const ek_plugin_descriptor kDescriptor = {
    sizeof(ek_plugin_descriptor), EK_ABI_VERSION, "test.throwing", "Throwing fixture", "0.0.1",
    "embedkit tests", "Misbehaves on purpose", kExtensions, Create, Destroy, GetExtension,
};

}  // namespace

extern "C" EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) {
  return &kDescriptor;
}
