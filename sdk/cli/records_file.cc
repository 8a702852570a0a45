#include "records_file.h"

#include <simdjson.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "json_writer.h"

namespace ek::cli {
namespace {

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void RequireIdWithoutNul(std::string_view id, const std::string& where) {
  if (id.find('\0') == std::string_view::npos) return;
  throw RuntimeError(where + "id " + JsonQuote(id) +
                     " contains a NUL character (U+0000); ids cannot contain NUL, which would "
                     "cut them short");
}

struct RecordReader::Parser {
  simdjson::dom::parser dom;
};

RecordReader::RecordReader(const std::string& path, RecordOptions options)
    : path_(path), options_(std::move(options)), in_(path), parser_(std::make_unique<Parser>()) {
  if (!in_) throw RuntimeError("cannot open records file '" + path + "': " + std::strerror(errno));
}

RecordReader::~RecordReader() = default;

size_t RecordReader::CountRecords(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw RuntimeError("cannot open records file '" + path + "': " + std::strerror(errno));
  size_t count = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!IsBlank(line)) ++count;
  }
  if (in.bad()) throw RuntimeError("error reading records file '" + path + "'");
  return count;
}

bool RecordReader::Next(std::string* id, std::string* metadata) {
  std::string line;
  do {
    if (!std::getline(in_, line)) {
      if (in_.bad()) throw RuntimeError("error reading records file '" + path_ + "'");
      return false;
    }
    ++line_;
  } while (IsBlank(line));

  auto where = [&] { return path_ + ":" + std::to_string(line_) + ": "; };
  simdjson::dom::element doc;
  if (auto error = parser_->dom.parse(line).get(doc)) {
    throw RuntimeError(where() + "malformed JSON (" + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object)) throw RuntimeError(where() + "the record is not a JSON object");

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
