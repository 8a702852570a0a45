// What the plugin function files share (plugin_functions.cc registers them): the
// per-connection state, instances of a bundled plugin reached through the C ABI, the
// store held for the length of one call, and argument and option readers whose
// refusals name the function and the argument. Not used outside sdk/sql/plugin_functions*.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "embedkit/embedkit.h"
#include "sql/session.h"
#include "sql/table_function.h"

namespace ek::sql::plugins {

struct InstanceFree {
  void operator()(ek_instance* p) const { ek_instance_free(p); }
};
using InstancePtr = std::unique_ptr<ek_instance, InstanceFree>;

// An instance of a bundled plugin and one extension table of it. Failures throw
// ek::Error(status, "<call>: <the plugin's message>") (the CLI's wording), the plugin's
// message coming from the table's last_error, since these calls bypass the library.
template <class Table>
class Plugin {
 public:
  Plugin(ek_context* context, const char* plugin_id, const char* extension_id,
         const std::string& config_json);
  // Another extension table of an instance someone else owns (and frees).
  Plugin(ek_instance* instance, const char* extension_id);
  const Table* operator->() const { return table_; }
  const Table& table() const { return *table_; }
  void* self() const { return self_; }
  ek_instance* instance() const { return instance_.get(); }  // null for a borrowed one
  void Check(ek_status status, std::string_view call) const;

 private:
  InstancePtr instance_;
  const Table* table_ = nullptr;
  void* self_ = nullptr;
};

// Throws ek::Error(status, "<where><call>: <message>") unless status is EK_OK; the
// message is the plugin's (or the call's name when it left none), `where` an optional
// context ("ek_match() source: "). For Plugin<T>::Check too.
void CheckPluginStatus(ek_status status, std::string_view call, const char* message,
                       std::string_view where = {});
// Throws the C API's failure (status + ek_last_error()) unless status is EK_OK.
void CheckApi(ek_status status, std::string_view call);

template <class Table>
Plugin<Table>::Plugin(ek_context* context, const char* plugin_id, const char* extension_id,
                      const std::string& config_json) {
  ek_instance* raw = nullptr;
  CheckApi(ek_instance_create(context, plugin_id, config_json.c_str(), &raw), "ek_instance_create");
  instance_.reset(raw);
  const void* table = nullptr;
  CheckApi(ek_instance_get_extension(raw, extension_id, &table), "ek_instance_get_extension");
  table_ = static_cast<const Table*>(table);
  self_ = ek_instance_plugin_data(raw);
}

template <class Table>
Plugin<Table>::Plugin(ek_instance* instance, const char* extension_id) {
  const void* table = nullptr;
  CheckApi(ek_instance_get_extension(instance, extension_id, &table), "ek_instance_get_extension");
  table_ = static_cast<const Table*>(table);
  self_ = ek_instance_plugin_data(instance);
}

template <class Table>
void Plugin<Table>::Check(ek_status status, std::string_view call) const {
  if (status != EK_OK) CheckPluginStatus(status, call, table_->last_error(self_));
}

// The connection's store for the length of one call: held (Session::HoldStore) so that a
// plugin bound to it can use it throughout, and released at the end, so that the store's
// statements never keep the connection from closing when no embedkit table holds it.
class StoreUse {
 public:
  explicit StoreUse(Session& session);
  ~StoreUse();
  StoreUse(const StoreUse&) = delete;
  StoreUse& operator=(const StoreUse&) = delete;
  ek_store* handle() const { return handle_; }

 private:
  Session& session_;
  ek_store* handle_ = nullptr;
};

// The connection's plugin state, shared by its scalar functions (each registration owns
// a reference; SQLite drops them when the connection closes, before the module that owns
// the Session, so instances are freed while the context lives).
struct ConnectionState {
  explicit ConnectionState(Session* s) : session(s) {}
  Session* session;
  // vsa_json encoders by their configuration text (ek_encode), at most kMaxEncoders.
  std::map<std::string, InstancePtr> encoders;
};
inline constexpr size_t kMaxEncoders = 8;

// A scalar function's user data: its name (for messages) and the connection's state.
struct FunctionData {
  const char* name;
  std::shared_ptr<ConnectionState> state;
};

inline const FunctionData& DataOf(sqlite3_context* ctx) {
  return *static_cast<const FunctionData*>(sqlite3_user_data(ctx));
}

// "ek_forget() argument 2" (1-based, as users count).
std::string ArgWhat(std::string_view function, int index);

// Refuses with EK_ERR_INVALID_ARGUMENT "<what>: <why>".
[[noreturn]] void Refuse(std::string_view what, std::string_view why);

// A text argument (integers and reals are read as their text); refuses NULL, blobs and
// text with a NUL byte, naming `what`.
std::string TextArg(sqlite3_value* value, std::string_view what);
// The same, or nullopt for SQL NULL.
std::optional<std::string> OptionalTextArg(sqlite3_value* value, std::string_view what);
// An integer argument in [lo, hi] (integral reals accepted), else a refusal naming `what`.
int64_t IntegerArg(sqlite3_value* value, std::string_view what, int64_t lo, int64_t hi);

// A JSON object of options given to a function ('{"k": 3, "one_to_one": true}'). Every
// key must be one the function knows (`known`, comma-separated), so a misspelt option is
// refused instead of ignored; values are checked by type and range, refusals naming the
// option ("ek_match() options: \"k\" must be an integer in 1..1024, got \"3\"").
class Options {
 public:
  Options(std::string_view json, std::string_view what, std::string_view known);
  ~Options();
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  int64_t Integer(std::string_view key, int64_t fallback, int64_t lo, int64_t hi) const;
  double Number(std::string_view key, double fallback, double lo, double hi) const;
  bool Boolean(std::string_view key, bool fallback) const;
  std::string Text(std::string_view key, std::string_view fallback) const;
  // A JSON object value as its minified text, or `fallback` when the key is absent.
  std::string Object(std::string_view key, std::string_view fallback) const;

 private:
  struct Parsed;
  std::unique_ptr<Parsed> parsed_;
  std::string what_;
};

// The functions of each file, registered by plugin_functions.cc.
void EncodeFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);          // ek_encode
void ClassifyFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);        // ek_classify
void ClassifyScoresFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);  // ek_classify_scores
void ForgetFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);          // ek_forget
const TableFunction& MatchTableFunction();      // ek_match (plugin_functions_match.cc)
const TableFunction& RecommendTableFunction();  // ek_recommend (plugin_functions_rec.cc)

}  // namespace ek::sql::plugins
