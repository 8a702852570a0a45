// Reads fields out of the metadata JSON objects the library returns with hits,
// for display (--show title,category) and for trimming --json output.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ek::cli {

class MetadataView {
 public:
  MetadataView();
  ~MetadataView();

  // Text of `field` in the object `json`: strings unescaped, other values as
  // compact JSON; nullopt when the field is absent or `json` is not an object.
  std::optional<std::string> Text(std::string_view json, const std::string& field);

  // A JSON object with only `fields` of `json` (absent ones left out).
  std::string Select(std::string_view json, const std::vector<std::string>& fields);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
};

}  // namespace ek::cli
