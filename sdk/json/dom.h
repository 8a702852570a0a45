// simdjson DOM helpers shared inside sdk/json (json.cc, filter.cc); not for other
// directories, which see JSON only through json.h and filter.h.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

namespace ek::json {

// "an array", "a number", "null", ... for messages.
const char* TypeName(simdjson::dom::element_type t);

// The parser for `text`: this thread's for small texts (kThreadParserBytes), else
// `local` (freed by the caller's scope), so no thread keeps a big document's buffers.
simdjson::dom::parser& ParserFor(std::string_view text, std::optional<simdjson::dom::parser>& local);

// Parses `text` without throwing; never hands simdjson a null pointer (an empty
// string_view may have data() == nullptr, which memcpy must not see).
simdjson::simdjson_result<simdjson::dom::element> Parse(simdjson::dom::parser& parser,
                                                      std::string_view text);

// Parses `text` with `parser`; the object is valid until its next parse. Throws
// EK_ERR_LIMIT beyond kMaxDocumentBytes, EK_ERR_PARSE (with the offset) unless it is
// one object.
simdjson::dom::object ParseObject(simdjson::dom::parser& parser, std::string_view text,
                                  std::string_view what);

// Integers and doubles as double (false for any other type).
bool AsDouble(simdjson::dom::element e, double* out);

}  // namespace ek::json
