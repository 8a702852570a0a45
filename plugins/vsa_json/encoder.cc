// JSON -> one vector (MBAT with orthogonal role matrices), number decoding, batches.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <new>

#include "vsa_core.h"

namespace vsaj {

namespace dom = simdjson::dom;

struct Encoder::Workspace {
  dom::parser parser;
  std::vector<std::vector<float>> bufs;            // 2 per depth, D floats each
  std::vector<std::vector<dom::element>> elems;    // array items per depth
  std::vector<float> scratch;
  std::string token;
  AtomSlots atom_slots;
  LocalCache<void, 64> role_slots;

  Workspace(size_t max_bytes, int max_depth, size_t dim)
      : parser(max_bytes), bufs(2 * (static_cast<size_t>(max_depth) + 3)),
        elems(static_cast<size_t>(max_depth) + 3), scratch(dim) {
    // One level more than the limit so the limit is ours to report (with its offset).
    if (parser.allocate(4096, static_cast<size_t>(max_depth) + 2) != simdjson::SUCCESS) {
      throw std::bad_alloc();
    }
  }
  float* Buf(int depth, int j, size_t dim) {
    auto& b = bufs[static_cast<size_t>(depth) * 2 + static_cast<size_t>(j)];
    if (b.size() != dim) b.assign(dim, 0.0f);
    return b.data();
  }
};

namespace {
struct DepthExceeded {};

bool TokenByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
}  // namespace

Encoder::Encoder(Env env) : env_(env) {
  atoms_ = std::make_unique<Atoms>(env_);
  binder_ = MakeBinder(env_);
}

Encoder::~Encoder() = default;

std::unique_ptr<Encoder::Workspace> Encoder::Acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto ws = std::move(pool_.back());
      pool_.pop_back();
      return ws;
    }
  }
  return std::make_unique<Workspace>(env_.cfg.max_document_bytes, env_.cfg.max_depth, env_.cfg.dim);
}

void Encoder::Release(std::unique_ptr<Workspace> ws) {
  std::lock_guard lock(pool_mutex_);
  pool_.push_back(std::move(ws));
}

// ---- Numbers -------------------------------------------------------------------------
namespace {
double Scaled(NumberScale scale, double x) {
  if (scale == NumberScale::kLinear) return x;
  return x < 0 ? -std::log10(1.0 - x) : std::log10(1.0 + x);
}
double Unscaled(NumberScale scale, double s) {
  if (scale == NumberScale::kLinear) return s;
  return s < 0 ? 1.0 - std::pow(10.0, -s) : std::pow(10.0, s) - 1.0;
}
}  // namespace

double Encoder::NumberPosition(double x) const {
  const Config& c = env_.cfg;
  const double lo = Scaled(c.number_scale, c.number_min);
  const double hi = Scaled(c.number_scale, c.number_max);
  double t = (Scaled(c.number_scale, x) - lo) / (hi - lo);
  if (!(t > 0)) t = 0;  // also NaN
  if (t > 1) t = 1;
  return t * (c.number_levels - 1);
}

double Encoder::NumberFromPosition(double p) const {
  const Config& c = env_.cfg;
  const double lo = Scaled(c.number_scale, c.number_min);
  const double hi = Scaled(c.number_scale, c.number_max);
  return Unscaled(c.number_scale, lo + p / (c.number_levels - 1) * (hi - lo));
}

void Encoder::EncNumber(double x, float* out) {
  const size_t d = env_.cfg.dim;
  const double p = NumberPosition(x);
  const size_t last = static_cast<size_t>(env_.cfg.number_levels - 1);
  size_t i = static_cast<size_t>(std::floor(p));
  if (i >= last) i = last - 1;
  const float t = static_cast<float>(p - static_cast<double>(i));
  const float* a = atoms_->levels().data() + i * d;
  // (1 - t) level i + t level i+1, from zeros rather than a copy of level i+1 (glibc's
  // memcpy of a row was the slowest step here); 0 + (1 - t) a is (1 - t) a, so the bits
  // are those of the blend.
  std::fill(out, out + d, 0.0f);
  env_.k->axpy(1.0f - t, a, out, d);
  env_.k->axpy(t, a + d, out, d);
  env_.k->normalize(out, d);
}

double Encoder::DecodeNumber(const float* unbound, double* out_position) {
  const size_t d = env_.cfg.dim;
  const size_t n = static_cast<size_t>(env_.cfg.number_levels);
  std::vector<double> dots(n);
  {
    std::vector<float> f(n);
    env_.k->dot_many(unbound, atoms_->levels().data(), n, d, f.data());
    for (size_t j = 0; j < n; ++j) dots[j] = f[j];
  }
  // The dots of a number at position p with the levels form a tent
  // a * (1 - |j - p| / (L-1)); fit p (grid of 1/32 level) by the best correlation of
  // the centred dots with the centred tent.
  double mean = 0;
  for (double v : dots) mean += v;
  mean /= static_cast<double>(n);
  const double span = static_cast<double>(n - 1);
  double best_p = 0, best_score = -1e300;
  std::vector<double> tent(n);
  for (size_t g = 0; g <= (n - 1) * 32; ++g) {
    const double p = static_cast<double>(g) / 32.0;
    double tm = 0;
    for (size_t j = 0; j < n; ++j) {
      tent[j] = 1.0 - std::fabs(static_cast<double>(j) - p) / span;
      tm += tent[j];
    }
    tm /= static_cast<double>(n);
    double num = 0, den = 0;
    for (size_t j = 0; j < n; ++j) {
      num += (tent[j] - tm) * (dots[j] - mean);
      den += (tent[j] - tm) * (tent[j] - tm);
    }
    const double score = den > 0 ? num / std::sqrt(den) : 0;
    if (score > best_score) {
      best_score = score;
      best_p = p;
    }
  }
  if (out_position) *out_position = best_p;
  return NumberFromPosition(best_p);
}

// ---- Strings ----------------------------------------------------------------------------
// Sum of token atoms (ASCII letters/digits and any non-ASCII byte form tokens, ASCII
// lowercased), normalised, plus exact_weight * the atom of the exact string, plus
// ngram_weight * the normalised sum of character n-gram atoms (if ngram > 0).
void Encoder::EncString(Workspace& ws, std::string_view s, int depth, float* out) {
  const size_t d = env_.cfg.dim;
  std::fill(out, out + d, 0.0f);
  float* tok = ws.Buf(depth, 0, d);
  std::fill(tok, tok + d, 0.0f);
  size_t tokens = 0;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && !TokenByte(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    ws.token.clear();
    while (i < s.size() && TokenByte(static_cast<unsigned char>(s[i]))) {
      char c = s[i++];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      ws.token += c;
    }
    atoms_->Add(kKindToken, HashBytes(ws.token.data(), ws.token.size(), kKindToken), 1.0f, tok, &ws.atom_slots);
    ++tokens;
  }
  if (tokens > 0) {
    env_.k->normalize(tok, d);
    env_.k->axpy(1.0f, tok, out, d);
  }
  if (env_.cfg.exact_weight > 0 || tokens == 0) {
    const float w = tokens == 0 ? 1.0f : static_cast<float>(env_.cfg.exact_weight);
    atoms_->Add(kKindExact, HashBytes(s.data(), s.size(), kKindExact), w, out, &ws.atom_slots);
  }
  if (env_.cfg.ngram > 0 && env_.cfg.ngram_weight > 0) {
    const size_t n = static_cast<size_t>(env_.cfg.ngram);
    ws.token.assign(1, ' ');
    for (char c : s) ws.token += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    ws.token += ' ';
    std::fill(tok, tok + d, 0.0f);
    const std::string& t = ws.token;
    if (t.size() <= n) {
      atoms_->Add(kKindNgram, HashBytes(t.data(), t.size(), kKindNgram), 1.0f, tok);
    } else {
      for (size_t i = 0; i + n <= t.size(); ++i) {
        atoms_->Add(kKindNgram, HashBytes(t.data() + i, n, kKindNgram), 1.0f, tok, &ws.atom_slots);
      }
    }
    env_.k->normalize(tok, d);
    const float w = static_cast<float>(env_.cfg.ngram_weight);
    env_.k->axpy(w, tok, out, d);
  }
  env_.k->normalize(out, d);
}

// The role's state: from the thread's slots where the binder allows it, else held by
// *keep for the caller's use.
const void* Encoder::RoleState(Workspace& ws, uint64_t role, std::shared_ptr<const void>* keep) {
  if (binder_->LocallyCacheable()) {
    const void* h = ws.role_slots.Find(role);
    return h ? h : ws.role_slots.Put(role, binder_->Handle(role));
  }
  *keep = binder_->Handle(role);
  return keep->get();
}

void Encoder::ApplyRole(Workspace& ws, uint64_t role, float* v, bool transpose) {
  std::shared_ptr<const void> keep;
  binder_->ApplyHandle(RoleState(ws, role, &keep), v, transpose, ws.scratch.data());
}

// ---- Values -----------------------------------------------------------------------------
void Encoder::Enc(Workspace& ws, const dom::element& e, int depth, float* out) {
  const size_t d = env_.cfg.dim;
  const float soft = env_.cfg.soft ? static_cast<float>(env_.cfg.soft_weight) : 0.0f;
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      if (depth + 1 > env_.cfg.max_depth) throw DepthExceeded{};
      dom::object obj;
      if (e.get(obj)) return;
      std::fill(out, out + d, 0.0f);
      float* child = ws.Buf(depth, 0, d);
      bool any = false;
      for (dom::key_value_pair field : obj) {
        Enc(ws, field.value, depth + 1, child);
        // out += M_key child + soft child, one pass (no copy of child: a 4 KB memcpy
        // per field cost more than the binding's own passes on the AVX2 host).
        std::shared_ptr<const void> keep;
        binder_->AddBoundHandle(RoleState(ws, RoleOfKey(field.key), &keep), child, soft, out, ws.scratch.data());
        any = true;
      }
      if (!any) atoms_->Add(kKindLiteral, 3, 1.0f, out);
      env_.k->normalize(out, d);
      return;
    }
    case dom::element_type::ARRAY: {
      if (depth + 1 > env_.cfg.max_depth) throw DepthExceeded{};
      dom::array arr;
      if (e.get(arr)) return;
      std::fill(out, out + d, 0.0f);
      float* child = ws.Buf(depth, 0, d);
      if (!env_.cfg.ordered_arrays) {
        bool any = false;
        for (dom::element item : arr) {
          Enc(ws, item, depth + 1, child);
          env_.k->axpy(1.0f, child, out, d);
          any = true;
        }
        if (!any) atoms_->Add(kKindLiteral, 4, 1.0f, out);
        env_.k->normalize(out, d);
        return;
      }
      // Ordered: sum_i M_seq^(i+1) enc(item_i), by Horner from the last item:
      // acc <- M_seq (acc + enc(item_i)), one transform per item.
      std::vector<dom::element>& items = ws.elems[static_cast<size_t>(depth)];
      items.clear();
      for (dom::element item : arr) items.push_back(item);
      if (items.empty()) {
        atoms_->Add(kKindLiteral, 4, 1.0f, out);
        env_.k->normalize(out, d);
        return;
      }
      float* unbound = ws.Buf(depth, 1, d);
      std::fill(unbound, unbound + d, 0.0f);
      const uint64_t seq = SequenceRole();
      for (size_t i = items.size(); i-- > 0;) {
        Enc(ws, items[i], depth + 1, child);
        env_.k->axpy(1.0f, child, out, d);
        env_.k->axpy(1.0f, child, unbound, d);
        ApplyRole(ws, seq, out, false);
      }
      if (soft > 0) env_.k->axpy(soft, unbound, out, d);
      env_.k->normalize(out, d);
      return;
    }
    case dom::element_type::STRING: {
      std::string_view s;
      if (e.get(s)) return;
      EncString(ws, s, depth, out);
      return;
    }
    case dom::element_type::INT64: {
      int64_t v = 0;
      if (e.get(v)) return;
      EncNumber(static_cast<double>(v), out);
      return;
    }
    case dom::element_type::UINT64: {
      uint64_t v = 0;
      if (e.get(v)) return;
      EncNumber(static_cast<double>(v), out);
      return;
    }
    case dom::element_type::DOUBLE: {
      double v = 0;
      if (e.get(v)) return;
      EncNumber(v, out);
      return;
    }
    case dom::element_type::BOOL: {
      bool v = false;
      if (e.get(v)) return;
      std::fill(out, out + d, 0.0f);
      atoms_->Add(kKindLiteral, v ? 1 : 0, 1.0f, out);
      env_.k->normalize(out, d);
      return;
    }
    case dom::element_type::NULL_VALUE:
      std::fill(out, out + d, 0.0f);
      atoms_->Add(kKindLiteral, 2, 1.0f, out);
      env_.k->normalize(out, d);
      return;
  }
}

namespace {
// Why a text simdjson refused (or that nests too deep for Enc) is bad: the host's
// JSON diagnosis names the offending byte and the reason, in the words the host uses
// for its own inputs.
[[noreturn]] void FailSyntax(const ek_host* host, std::string_view text, int max_depth, const std::string& what,
                             const char* simdjson_reason) {
  size_t offset = 0;
  const ek_status s = host->json_check(host, text.data(), text.size(), static_cast<uint32_t>(max_depth), &offset);
  const std::string at = " at byte " + std::to_string(offset);
  if (s == EK_ERR_LIMIT || (s == EK_OK && !simdjson_reason)) {
    Fail(EK_ERR_LIMIT, what + " nests deeper than " + std::to_string(max_depth) + " levels (config \"max_depth\")" +
                           (s == EK_OK ? "" : at));
  }
  const std::string simdjson_says = std::string(" (simdjson: ") + (simdjson_reason ? simdjson_reason : "") + ")";
  if (s != EK_ERR_PARSE) Fail(EK_ERR_PARSE, "malformed JSON " + what + simdjson_says);
  std::string reason = host->last_error(host);  // "byte N: why"
  const std::string prefix = "byte " + std::to_string(offset) + ": ";
  if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
  Fail(EK_ERR_PARSE, "malformed JSON " + what + at + ": " + reason + simdjson_says);
}
}  // namespace

dom::element Encoder::EncodeOne(Workspace& ws, std::string_view text, float* out, bool document) {
  const Config& c = env_.cfg;
  const std::string what = document ? "document" : "value";
  if (text.size() > c.max_document_bytes) {
    Fail(EK_ERR_LIMIT, what + " is " + std::to_string(text.size()) +
                           " bytes; the limit (config \"max_document_bytes\") is " +
                           std::to_string(c.max_document_bytes));
  }
  dom::element root;
  // Never a null pointer to simdjson's memcpy, even for an empty text.
  auto error = ws.parser.parse(text.empty() ? "" : text.data(), text.size(), true).get(root);
  if (error) {
    if (error == simdjson::CAPACITY) Fail(EK_ERR_LIMIT, what + " is too large for the parser");
    if (error == simdjson::MEMALLOC) throw std::bad_alloc();
    FailSyntax(env_.host, text, c.max_depth, what, simdjson::error_message(error));
  }
  try {
    Enc(ws, root, 0, out);
  } catch (const DepthExceeded&) {
    FailSyntax(env_.host, text, c.max_depth, what, nullptr);
  }
  return root;
}

void Encoder::EncodeValue(std::string_view json, float* out) {
  auto ws = Acquire();
  try {
    EncodeOne(*ws, json, out, false);
  } catch (...) {
    Release(std::move(ws));
    throw;
  }
  Release(std::move(ws));
}

void Encoder::EncodeDocuments(const ek_string_view* docs, size_t count, float* out, DocumentExtras* extras) {
  if (count == 0) return;
  const ek_host* host = env_.host;
  const size_t d = env_.cfg.dim;
  std::mutex error_mutex;
  size_t error_index = SIZE_MAX;
  Error first{EK_OK, ""};
  std::atomic<bool> stop{false};
  std::atomic<size_t> done{0};
  auto record = [&](size_t index, ek_status status, std::string message) {
    std::lock_guard lock(error_mutex);
    if (index < error_index) {
      error_index = index;
      first = Error{status, std::move(message)};
    }
    stop = true;
  };
  auto body = [&](size_t begin, size_t end) {
    auto ws = Acquire();
    for (size_t i = begin; i < end && !stop.load(std::memory_order_relaxed); ++i) {
      if ((i & 63) == 0 && host->is_cancelled(host)) {
        record(i, EK_ERR_CANCELLED, "cancelled");
        break;
      }
      try {
        std::string_view text(docs[i].data ? docs[i].data : "", docs[i].length);
        const dom::element root = EncodeOne(*ws, text, out + i * d, true);
        if (extras) {
          extras[i].is_object = root.is_object();
          std::string path;
          CollectValues(root, &path, &extras[i]);
        }
      } catch (const Error& e) {
        record(i, e.status, count > 1 ? "document " + std::to_string(i) + ": " + e.message : e.message);
        break;
      } catch (const std::bad_alloc&) {
        record(i, EK_ERR_OUT_OF_MEMORY, "out of memory encoding document " + std::to_string(i));
        break;
      }
      const size_t n = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (count >= 4096 && (n & 1023) == 0 && host->progress(host, "vsa_json encode", n, count)) {
        record(i, EK_ERR_CANCELLED, "cancelled by the progress callback");
        break;
      }
    }
    Release(std::move(ws));
  };
  const size_t threads = host->thread_count(host);
  const size_t grain = std::max<size_t>(1, std::min<size_t>(64, count / (threads * 4 + 1)));
  ParallelFor(env_, count, grain, body);
  if (error_index != SIZE_MAX) throw first;
}

void Encoder::ApplyPath(const std::vector<PathStep>& path, float* v, bool transpose) {
  // Bound the work of one path: far array positions mean many role-matrix products
  // (position p: p + 1 of them), and a dense matrix costs 2 D^2 flops each. Superposed
  // items stop being recoverable long before the budget ends (capacity ~ D/64 terms).
  const double d = static_cast<double>(env_.cfg.dim);
  const double cost = env_.cfg.binding == BindingKind::kStructured
                          ? env_.cfg.structured_rounds * (d * std::log2(d) + 2 * d)
                          : 2 * d * d;
  double applications = 0;
  for (const PathStep& s : path) applications += static_cast<double>(s.repeat);
  if (applications * cost > kPathFlopBudget) {
    Fail(EK_ERR_LIMIT, "path applies " + std::to_string(static_cast<uint64_t>(applications)) +
                           " role matrices; at this dim and binding at most " +
                           std::to_string(static_cast<uint64_t>(kPathFlopBudget / cost)) +
                           " (array positions that far cannot be decoded anyway)");
  }
  auto ws = Acquire();
  if (transpose) {
    for (const PathStep& s : path) {
      for (size_t r = 0; r < s.repeat; ++r) ApplyRole(*ws, s.role, v, true);
    }
  } else {
    for (size_t i = path.size(); i-- > 0;) {
      for (size_t r = 0; r < path[i].repeat; ++r) ApplyRole(*ws, path[i].role, v, false);
    }
  }
  Release(std::move(ws));
}

void Encoder::SplitBatch(std::string_view text, std::vector<std::string>* storage,
                         std::vector<ek_string_view>* docs) {
  docs->clear();
  storage->clear();
  size_t first = 0;
  while (first < text.size() && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
                                 text[first] == '\r')) {
    ++first;
  }
  if (first < text.size() && text[first] == '[') {
    // A JSON array of documents (if the whole text is one array).
    auto ws = Acquire();
    dom::element root;
    dom::array arr;
    bool ok = text.size() <= env_.cfg.max_document_bytes &&
              !ws->parser.parse(text.data(), text.size(), true).get(root) && !root.get(arr);
    if (ok) {
      for (dom::element item : arr) storage->push_back(simdjson::minify(item));
      for (const std::string& s : *storage) docs->push_back({s.data(), s.size()});
      Release(std::move(ws));
      return;
    }
    Release(std::move(ws));
  }
  // NDJSON: one document per line, blank lines skipped.
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    bool blank = true;
    for (char c : line) {
      if (c != ' ' && c != '\t' && c != '\r') {
        blank = false;
        break;
      }
    }
    if (!blank) docs->push_back({line.data(), line.size()});
    start = nl + 1;
  }
}

// Depth-first over a parsed document; depth is bounded by max_depth (it was encoded
// first), arrays by their first 64 items.
void Encoder::CollectValues(const dom::element& e, std::string* path, DocumentExtras* extras) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      dom::object obj;
      if (e.get(obj)) return;
      for (dom::key_value_pair f : obj) {
        const size_t keep = path->size();
        if (!path->empty()) *path += '.';
        *path += EscapeKey(f.key);
        CollectValues(f.value, path, extras);
        path->resize(keep);
      }
      return;
    }
    case dom::element_type::ARRAY: {
      dom::array arr;
      if (e.get(arr)) return;
      size_t i = 0;
      for (dom::element item : arr) {
        if (i >= 64) break;
        const size_t keep = path->size();
        *path += '[' + std::to_string(i++) + ']';
        CollectValues(item, path, extras);
        path->resize(keep);
      }
      return;
    }
    default: {
      std::string value = simdjson::minify(e);
      if (value.size() > 256) return;
      if (extras->values_seen++ < env_.cfg.max_values_per_document) {
        extras->values.emplace_back(*path, std::move(value));
      }
    }
  }
}

}  // namespace vsaj
