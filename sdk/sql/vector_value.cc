#include "sql/vector_value.h"

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "base/error.h"
#include "json/json.h"

namespace ek::sql {

// Blobs are little endian (vec0's layout, and WASM's); memcpy is the whole conversion
// only on a little-endian host.
static_assert(std::endian::native == std::endian::little,
              "vector blobs are little endian: a big-endian host needs byte swapping here");

namespace {

[[noreturn]] void Refuse(std::string_view what, const std::string& why) {
  Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + ": " + why);
}

void RequireDimensions(size_t dim, std::string_view what) {
  if (dim == 0) Refuse(what, "a vector needs at least one component");
  if (dim > kMaxDimensions)
    Refuse(what, std::to_string(dim) + " components, more than the " +
                     std::to_string(kMaxDimensions) + " a vector may have");
}

std::string FormatNumber(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", x);
  return buffer;
}

// vec0 reads numbers with strtod, and its docs write '[.1, .2, .3, 4]'; JSON has no
// number starting with '.'. Such text gets a '0' before each '.' that starts a number
// (first thing after '[' or ',', or right after such a '-') and is followed by a digit;
// nothing else is loosened ('1.', '01', '+1' stay errors). `inserted_at` holds each
// '0''s offset in the caller's text, to give error offsets back in the caller's bytes.
struct LeadingDotsFixed {
  std::string text;
  std::vector<size_t> inserted_at;
};

bool StartsArrayElement(char c) { return c == '[' || c == ','; }

LeadingDotsFixed ZeroBeforeLeadingDots(std::string_view json) {
  LeadingDotsFixed out;
  char last = 0, before_last = 0;  // the last two non-space bytes before i
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '.' && i + 1 < json.size() && std::isdigit(static_cast<unsigned char>(json[i + 1]))) {
      const bool after_minus = i > 0 && json[i - 1] == '-';
      if (StartsArrayElement(after_minus ? before_last : last)) {
        if (out.inserted_at.empty()) out.text.assign(json.substr(0, i));
        out.inserted_at.push_back(i);
        out.text += '0';
      }
    }
    if (!out.inserted_at.empty()) out.text += c;
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') before_last = std::exchange(last, c);
  }
  return out;
}

// The caller's offset of byte `fixed` of the fixed text: less the zeros put before it.
size_t OriginalOffset(size_t fixed, const std::vector<size_t>& inserted_at) {
  size_t zeros = 0;
  while (zeros < inserted_at.size() && inserted_at[zeros] + zeros < fixed) ++zeros;
  return fixed - zeros;
}

// `message` with every "at byte N" (offsets in the fixed text) in the caller's bytes.
std::string WithOriginalOffsets(const std::string& message, const std::vector<size_t>& inserted_at) {
  static constexpr std::string_view kAtByte = "at byte ";
  std::string out;
  size_t from = 0;
  for (size_t at; (at = message.find(kAtByte, from)) != std::string::npos;) {
    size_t end = at + kAtByte.size(), offset = 0;
    const size_t digits = end;
    for (; end < message.size() && std::isdigit(static_cast<unsigned char>(message[end])); ++end)
      offset = offset * 10 + size_t(message[end] - '0');
    out.append(message, from, digits - from);
    out += end > digits ? std::to_string(OriginalOffset(offset, inserted_at)) : "";
    from = end;
  }
  return out.append(message, from);
}

std::vector<double> ParseJsonNumbers(std::string_view json, std::string_view what) {
  const LeadingDotsFixed fixed = ZeroBeforeLeadingDots(json);
  if (fixed.inserted_at.empty()) return json::ParseNumberArray(json, what, kMaxDimensions);
  try {
    return json::ParseNumberArray(fixed.text, what, kMaxDimensions);
  } catch (const Error& e) {
    throw Error(e.status(), WithOriginalOffsets(e.what(), fixed.inserted_at));
  }
}

// JSON text: always float32. simdjson rounds each number to the nearest double and the
// cast to the nearest float, as vec0's strtod + cast does.
TypedVector FromJson(sqlite3_value* value, std::string_view what) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  const std::string_view json(text ? text : "", static_cast<size_t>(sqlite3_value_bytes(value)));
  std::vector<double> numbers;
  try {
    numbers = ParseJsonNumbers(json, what);
  } catch (const Error& e) {
    // Malformed text is a bad argument here, whatever the JSON layer calls it.
    if (e.status() == EK_ERR_PARSE) Fail(EK_ERR_INVALID_ARGUMENT, e.what());
    throw;
  }
  RequireDimensions(numbers.size(), what);
  TypedVector out;
  out.values.resize(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    out.values[i] = static_cast<float>(numbers[i]);
    if (!std::isfinite(out.values[i]))
      Refuse(what, "component " + std::to_string(i) + " (" + FormatNumber(numbers[i]) +
                       ") is beyond the float32 range");
  }
  return out;
}

// Components of `type` in a blob of `bytes` bytes, or the refusal.
size_t BlobDimensions(ElementType type, size_t bytes, std::string_view what) {
  if (bytes == 0) Refuse(what, "a vector needs at least one component (the blob is empty)");
  const size_t width = type == ElementType::kF32 ? 4 : type == ElementType::kF16 ? 2 : 1;
  if (bytes % width != 0)
    Refuse(what, std::string("a ") + TypeName(type) + " blob has " + std::to_string(width) +
                     " bytes per component; this one has " + std::to_string(bytes) + " bytes");
  const size_t dim = type == ElementType::kBit ? bytes * 8 : bytes / width;
  RequireDimensions(dim, what);
  return dim;
}

void DecodeBlob(const uint8_t* bytes, size_t dim, TypedVector& out, std::string_view what) {
  out.values.resize(dim);
  switch (out.type) {
    case ElementType::kF32:
      std::memcpy(out.values.data(), bytes, dim * sizeof(float));
      RequireFiniteComponents(out.values.data(), dim, what);
      return;
    case ElementType::kF16: {
      std::vector<uint16_t> halves(dim);
      std::memcpy(halves.data(), bytes, dim * sizeof(uint16_t));
      kernels::DecodeF16(halves.data(), dim, out.values.data());
      RequireFiniteComponents(out.values.data(), dim, what);
      return;
    }
    case ElementType::kInt8:
      for (size_t i = 0; i < dim; ++i) out.values[i] = static_cast<int8_t>(bytes[i]);
      return;
    case ElementType::kBit:
      out.bits.assign(bytes, bytes + dim / 8);
      for (size_t i = 0; i < dim; ++i) out.values[i] = float((bytes[i / 8] >> (i % 8)) & 1u);
      return;
  }
}

}  // namespace

const char* TypeName(ElementType type) {
  switch (type) {
    case ElementType::kF32: return "float32";
    case ElementType::kF16: return "float16";
    case ElementType::kInt8: return "int8";
    case ElementType::kBit: return "bit";
  }
  return "unknown";
}

ElementType TaggedType(sqlite3_value* value) {
  if (sqlite3_value_type(value) != SQLITE_BLOB) return ElementType::kF32;
  switch (sqlite3_value_subtype(value)) {
    case kSubtypeBit: return ElementType::kBit;
    case kSubtypeInt8: return ElementType::kInt8;
    case kSubtypeF16: return ElementType::kF16;
    default: return ElementType::kF32;  // 223, untagged, or another extension's tag
  }
}

void RequireFiniteComponents(const float* x, size_t n, std::string_view what) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      Refuse(what, "component " + std::to_string(i) + " is " + (std::isnan(x[i]) ? "NaN" : "infinite") +
                       "; vectors must be finite");
}

TypedVector ReadBlobAs(sqlite3_value* value, ElementType type, std::string_view what) {
  const size_t bytes = static_cast<size_t>(sqlite3_value_bytes(value));
  const size_t dim = BlobDimensions(type, bytes, what);
  TypedVector out;
  out.type = type;
  DecodeBlob(static_cast<const uint8_t*>(sqlite3_value_blob(value)), dim, out, what);
  return out;
}

TypedVector ReadVector(sqlite3_value* value, std::string_view what) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_TEXT: return FromJson(value, what);
    case SQLITE_BLOB: return ReadBlobAs(value, TaggedType(value), what);
    case SQLITE_NULL: Refuse(what, "NULL is not a vector (give JSON text like '[1, 2]' or a vector blob)");
    case SQLITE_INTEGER: Refuse(what, "an integer is not a vector (give JSON text like '[1, 2]' or a vector blob)");
    default: Refuse(what, "a real number is not a vector (give JSON text like '[1, 2]' or a vector blob)");
  }
}

std::vector<float> ReadF32Vector(sqlite3_value* value, std::string_view what) {
  return ReadVector(value, what).values;
}

std::vector<uint8_t> EncodeBlob(ElementType type, const std::vector<float>& values) {
  const size_t dim = values.size();
  std::vector<uint8_t> blob;
  switch (type) {
    case ElementType::kF32:
      blob.resize(dim * sizeof(float));
      std::memcpy(blob.data(), values.data(), blob.size());
      break;
    case ElementType::kF16: {
      std::vector<uint16_t> halves(dim);
      kernels::EncodeF16(values.data(), dim, halves.data());
      blob.resize(dim * sizeof(uint16_t));
      std::memcpy(blob.data(), halves.data(), blob.size());
      break;
    }
    case ElementType::kInt8:
      blob.resize(dim);
      for (size_t i = 0; i < dim; ++i) blob[i] = static_cast<uint8_t>(static_cast<int8_t>(values[i]));
      break;
    case ElementType::kBit:
      if (dim % 8 != 0)
        Fail(EK_ERR_INTERNAL, "a bit vector of " + std::to_string(dim) + " components is not whole bytes");
      blob.assign(dim / 8, 0);
      for (size_t i = 0; i < dim; ++i)
        if (values[i] != 0) blob[i / 8] |= uint8_t(1u << (i % 8));
      break;
  }
  return blob;
}

namespace {

unsigned SubtypeOf(ElementType type) {
  switch (type) {
    case ElementType::kF16: return kSubtypeF16;
    case ElementType::kInt8: return kSubtypeInt8;
    case ElementType::kBit: return kSubtypeBit;
    case ElementType::kF32: break;
  }
  return kSubtypeF32;
}

}  // namespace

void ResultVector(sqlite3_context* ctx, ElementType type, const std::vector<float>& values) {
  const std::vector<uint8_t> blob = EncodeBlob(type, values);
  sqlite3_result_blob64(ctx, blob.data(), blob.size(), SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, SubtypeOf(type));
}

}  // namespace ek::sql
