// ek_encode(json [, config]): a JSON document as the vsa_json plugin encodes it
// (docs/vsa_json.md), a float32 vector blob tagged as vec_f32() tags it, so it goes
// straight into an embedkit table's vector column or a vec_* function. The config is the
// plugin's configuration object; without one the plugin's defaults apply, which are the
// settings `embedkit json encode` writes by default (dim 1024, structured, soft): the
// vector equals the one that command stores for the same document.
//
// An instance per configuration text is kept on the connection (building one costs far
// more than encoding a document), at most kMaxEncoders: a new one past that empties it.
#include <vector>

#include "base/error.h"
#include "sql/plugin_functions_internal.h"
#include "sql/vector_value.h"

namespace ek::sql::plugins {
namespace {

constexpr const char* kPluginId = "embedkit.vsa_json";

ek_instance* Encoder(ConnectionState& state, const std::string& config) {
  auto found = state.encoders.find(config);
  if (found != state.encoders.end()) return found->second.get();
  ek_instance* raw = nullptr;
  CheckApi(ek_instance_create(state.session->context(), kPluginId, config.c_str(), &raw),
           "ek_instance_create");
  InstancePtr instance(raw);
  // A bounded cache: configurations are few in practice, but a query could make a new
  // one per row ('{"seed": ' || id || '}').
  if (state.encoders.size() >= kMaxEncoders) state.encoders.clear();
  return state.encoders.emplace(config, std::move(instance)).first->second.get();
}

}  // namespace

void EncodeFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const FunctionData& data = DataOf(ctx);
  std::optional<std::string> document = OptionalTextArg(argv[0], ArgWhat(data.name, 0));
  if (!document) return sqlite3_result_null(ctx);  // SQL NULL in, NULL out
  const std::string config = argc > 1 ? TextArg(argv[1], ArgWhat(data.name, 1)) : "{}";
  ek_instance* encoder = Encoder(*data.state, config);
  size_t dim = 0;
  CheckApi(ek_encoder_dim(encoder, &dim), "ek_encoder_dim");
  std::vector<float> vector(dim);
  const ek_string_view item{document->data(), document->size()};
  const ek_status status = ek_encode(encoder, &item, 1, vector.data(), vector.size(), nullptr);
  if (status != EK_OK) {
    const char* message = ek_last_error();
    Fail(status, std::string(data.name) + "(): " + (message && *message ? message : "ek_encode failed"));
  }
  ResultVector(ctx, ElementType::kF32, vector);
}

}  // namespace ek::sql::plugins
