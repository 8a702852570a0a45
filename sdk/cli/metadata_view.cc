#include "metadata_view.h"

#include <simdjson.h>

#include "json_writer.h"

namespace ek::cli {

struct MetadataView::Parser {
  simdjson::dom::parser dom;
};

MetadataView::MetadataView() : parser_(std::make_unique<Parser>()) {}
MetadataView::~MetadataView() = default;

std::optional<std::string> MetadataView::Text(std::string_view json, const std::string& field) {
  simdjson::dom::object object;
  if (parser_->dom.parse(json.data(), json.size()).get_object().get(object)) return std::nullopt;
  simdjson::dom::element value;
  if (object[field].get(value)) return std::nullopt;
  if (value.is_string()) return std::string(value.get_string().value_unsafe());
  return simdjson::minify(value);
}

std::string MetadataView::Select(std::string_view json, const std::vector<std::string>& fields) {
  simdjson::dom::object object;
  if (parser_->dom.parse(json.data(), json.size()).get_object().get(object)) return "{}";
  std::string out = "{";
  for (const std::string& field : fields) {
    simdjson::dom::element value;
    if (object[field].get(value)) continue;
    if (out.size() > 1) out += ',';
    out += JsonQuote(field);
    out += ':';
    out += simdjson::minify(value);
  }
  out += '}';
  return out;
}

}  // namespace ek::cli
