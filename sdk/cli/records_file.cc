#include "records_file.h"

#include <simdjson.h>

#include "errors.h"
#include "json_writer.h"

namespace ek::cli {

void RequireIdWithoutNul(std::string_view id, const std::string& where) {
  if (id.find('\0') == std::string_view::npos) return;
  throw RuntimeError(where + "id " + JsonQuote(id) +
                     " contains a NUL character (U+0000); ids cannot contain NUL, which would "
                     "cut them short");
}

RecordReader::RecordReader(const std::string& path, RecordOptions options)
    : options_(std::move(options)), lines_(std::make_unique<JsonLinesReader>(path, "records file")) {}

RecordReader::~RecordReader() = default;

size_t RecordReader::CountRecords(const std::string& path) {
  JsonLinesReader lines(path, "records file");
  size_t count = 0;
  std::string line;
  while (lines.NextLine(&line)) ++count;
  return count;
}

bool RecordReader::Next(std::string* id, std::string* metadata) {
  simdjson::dom::object object;
  if (!lines_->NextObject(&object)) return false;
  auto where = [&] { return lines_->Where(); };

  simdjson::dom::element id_value;
  if (object[options_.id_field].get(id_value)) {
    throw RuntimeError(where() + "the record has no \"" + options_.id_field + "\" field");
  }
  if (id_value.is_string()) {
    *id = std::string(id_value.get_string().value_unsafe());
    RequireIdWithoutNul(*id, where() + "field \"" + options_.id_field + "\": ");
  } else if (id_value.is_int64() || id_value.is_uint64()) {
    *id = simdjson::minify(id_value);
  } else {
    throw RuntimeError(where() + "field \"" + options_.id_field +
                       "\" must be a string or an integer to serve as the id");
  }

  metadata->clear();
  switch (options_.metadata) {
    case RecordOptions::Metadata::kNone:
      break;
    case RecordOptions::Metadata::kAll:
      *metadata = simdjson::minify(object);
      break;
    case RecordOptions::Metadata::kFields: {
      std::string out = "{";
      for (const std::string& field : options_.fields) {
        simdjson::dom::element value;
        if (object[field].get(value)) continue;  // absent fields are simply left out
        if (out.size() > 1) out += ',';
        out += JsonQuote(field);
        out += ':';
        out += simdjson::minify(value);
      }
      out += '}';
      *metadata = std::move(out);
      break;
    }
  }
  return true;
}

}  // namespace ek::cli
