// libFuzzer target: the table_match parsers (SQL DDL, schema JSON, glossary JSON and
// CSV) and the matcher behind them. The first byte picks the format and the side; the
// rest is the text. Invariants: no crash or sanitizer report; a refused text leaves
// the side as it was and says why (EK_ERR_PARSE messages name a line, a byte, a
// JSON path or the offending key);
// whatever loads can be matched against a small glossary and serialised to JSON.
#include <embedkit/embedkit.h>
#include <embedkit/ext/matcher.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_plugin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ek_instance* inst = fuzz::Instance("embedkit.table_match",
                                     R"({"wordvec":"none","max_columns":2000,"max_input_bytes":65536})");
  fuzz::Invariant(inst != nullptr, "table_match instance");
  const auto* m = fuzz::Extension<ek_matcher_ext>(inst, EK_EXT_MATCHER);
  void* self = ek_instance_plugin_data(inst);
  const uint32_t format = data[0] % 5;  // EK_MATCHER_FORMAT_AUTO .. GLOSSARY_CSV
  const bool as_target = (data[0] >> 3) & 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  // The other side: a fixed schema or glossary, so that a successful load can match.
  const char* ddl = "CREATE TABLE p (id INT PRIMARY KEY, birth_dt DATE -- date of birth\n);";
  const char* glossary = R"([{"id":"birth_date","label":"Birth date"},{"id":"person_id","label":"Person id"}])";
  const uint32_t side = as_target ? EK_MATCHER_TARGET : EK_MATCHER_SOURCE;
  const uint32_t other = as_target ? EK_MATCHER_SOURCE : EK_MATCHER_TARGET;
  const char* other_text = as_target ? ddl : glossary;
  fuzz::Invariant(m->load(self, other, other_text, std::strlen(other_text), EK_MATCHER_FORMAT_AUTO) == EK_OK,
                  "fixed side", m->last_error(self));

  size_t before = 0, after = 0;
  m->count(self, side, &before);
  const ek_status s = m->load(self, side, text.data(), text.size(), format);
  // last_error() holds until the next call on the instance: read it first.
  const bool loaded = fuzz::Ok(m, self, s, "load");
  const std::string msg = m->last_error(self);
  m->count(self, side, &after);
  if (!loaded) {
    fuzz::Invariant(after == before, "a failed load changed the side");
    // A parse error names where: a line (DDL, CSV), a byte, a JSON path ("tables[0]")
    // or the offending key ("\"tablessynonyms\": expected a table object").
    if (s == EK_ERR_PARSE)
      fuzz::Invariant(msg.find("line ") != std::string::npos || msg.find("byte ") != std::string::npos ||
                          msg.find('[') != std::string::npos || msg.find('"') != std::string::npos ||
                          msg.find("JSON") != std::string::npos,
                      "parse error without a location", msg);
  } else if (after > 0) {
    ek_matcher_options o;
    m->options_init(&o);
    o.top_k = 3;
    o.mode = data[0] & 0x80 ? EK_MATCHER_MODE_ONE_TO_ONE : EK_MATCHER_MODE_ONE_TO_MANY;
    ek_matcher_result* r = nullptr;
    if (fuzz::Ok(m, self, m->match(self, &o, &r), "match")) {
      char* json = nullptr;
      fuzz::Invariant(m->result_json(r, &json) == EK_OK && json, "result_json");
      m->free_text(json);
      m->result_free(r);
    }
  }
  ek_instance_free(inst);
  return 0;
}
