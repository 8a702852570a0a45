// libFuzzer target: random sequences of C ABI calls with hostile arguments, within
// what embedkit.h and docs/abi.md define: NULL handles and out-pointers, any
// struct_size (the struct passed is always at least as large as the library's, as
// an older or newer caller's would be), counts with NULL arrays, huge k / dim /
// offsets / indices, invalid UTF-8 and over-long names and ids, NaN vectors, bad JSON,
// capacities smaller than needed (never larger than the real buffer), and handles
// freed in any order (handles keep what they depend on alive). Never: a freed
// handle used again, or a buffer smaller than its stated size.
// Invariants: no crash, leak or sanitizer report; every failing call returns a
// status in the documented range and sets a non-empty ek_last_error() that starts
// with the function's name; EK_OK calls leave ek_last_status() untouched semantics.
// The ABI 1.2 index calls and their invariants are in fuzz_c_api_index.h; its seeds
// come from make_c_api_index_seeds.py.
#include <embedkit/embedkit.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t Byte() { return i_ < n_ ? d_[i_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 8) | Byte();
    return v;
  }
  // Mostly small, sometimes extreme.
  size_t Size(size_t small_max) {
    switch (Byte() % 8) {
      case 0: return 0;
      case 1: return std::numeric_limits<size_t>::max();
      case 2: return size_t{1} << (Byte() % 64);
      case 3: return U32();
      default: return Byte() % (small_max + 1);
    }
  }
  // A string from the input (length-prefixed) or from a dictionary of awkward values.
  std::string Str() {
    static const char* dict[] = {"",       "c",         "docs",     "\xff\xfe", "a\xc0\xaf",
                                 "{}",     "{\"a\":1}", "[1,2]",    "null",     "{\"a\":",
                                 "{\"k\":\"v\",\"n\":null,\"b\":true}", "ek.encoder/1",
                                 "embedkit.vsa_json", ":memory:", "cpu", "auto", "cuda"};
    const uint8_t sel = Byte();
    if (sel < 128) return dict[sel % (sizeof dict / sizeof *dict)];
    if (sel == 255) return std::string(129 + Byte() * 4, 'n');  // over the name/id limits
    const size_t len = Byte() % 48;
    std::string s;
    for (size_t k = 0; k < len && !empty(); ++k) {
      const char c = static_cast<char>(Byte());
      if (c) s += c;  // C strings end at NUL
    }
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s (last error: %s)\n", what, ek_last_error());
  std::abort();
}

// A failed call: documented status, message naming the function.
void Failed(ek_status s, const char* fn) {
  if (s == EK_OK) return;
  Check(s > 0 && s <= EK_ERR_PLUGIN, "status outside the documented range");
  Check(ek_last_status() == s, "ek_last_status differs from the returned status");
  const char* m = ek_last_error();
  Check(m && std::strncmp(m, fn, std::strlen(fn)) == 0, "message does not name the function");
}

// A struct of type T with a hostile struct_size, in a buffer big enough for any
// struct_size the library might trust (it reads at most sizeof(T)).
template <class T>
struct Hostile {
  alignas(T) unsigned char bytes[sizeof(T) + 64] = {};
  T* get() { return reinterpret_cast<T*>(bytes); }
};

template <class T>
T* WithSize(Hostile<T>& h, Input& in) {
  T* p = h.get();
  switch (in.Byte() % 6) {
    case 0: p->struct_size = 0; break;
    // An older caller's size ends at a field boundary (a multiple of the alignment):
    // a size that cuts a pointer in half is not a layout any caller can have, and the
    // library would take the half-copied pointer (docs/reliability.md, findings).
    case 1: p->struct_size = static_cast<uint32_t>(in.Byte() % (sizeof(T) / alignof(T) + 1) * alignof(T)); break;
    case 2: p->struct_size = static_cast<uint32_t>(sizeof(T) + in.Byte() % 64); break;
    case 3: p->struct_size = std::max<uint32_t>(in.U32(), sizeof(T)); break;
    default: p->struct_size = sizeof(T); break;
  }
  return p;
}

template <class T>
T* Pick(std::vector<T*>& v, Input& in, bool allow_null = true) {
  const uint8_t b = in.Byte();
  if (v.empty() || (allow_null && b % 8 == 0)) return nullptr;
  return v[b % v.size()];
}

template <class T>
T* Take(std::vector<T*>& v, Input& in) {
  if (v.empty()) return nullptr;
  const size_t k = in.Byte() % v.size();
  T* h = v[k];
  v.erase(v.begin() + static_cast<long>(k));
  return h;
}

int32_t Progress(void* user, const char*, uint64_t, uint64_t) {
  return static_cast<int32_t>(reinterpret_cast<uintptr_t>(user) & 1);
}

std::string EmptyDir() {
  static std::string dir = [] {
    std::string d = "/tmp/ek_fuzz_empty_" + std::to_string(getpid());
    mkdir(d.c_str(), 0700);
    return d;
  }();
  return dir;
}

}  // namespace

#include "fuzz_c_api_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  std::vector<ek_context*> contexts;
  std::vector<ek_store*> stores;
  std::vector<ek_collection*> cols;
  std::vector<ek_results*> results;
  std::vector<ek_instance*> instances;
  std::vector<ek_collection_info*> info_arrays;
  std::vector<size_t> info_counts;
  bool index_store_used = false;  // the file store: reopened after the input
  HeavyBudget heavy;
  RemoveIndexStore();
  int steps = 0;
  while (!in.empty() && ++steps < 64) {
    const uint8_t op = in.Byte() % 32;
    switch (op) {
      case 0: {  // context
        if (contexts.size() >= 3) break;
        Hostile<ek_context_options> h;
        ek_context_options* o = nullptr;
        if (in.Byte() % 4) {
          ek_context_options_init(h.get());
          o = WithSize(h, in);
          static const char* backends[] = {nullptr, "auto", "cpu", "cuda", "", "gpu"};
          o->backend = backends[in.Byte() % 6];
          o->num_threads = in.Byte() % 3 + 1;
          o->log_level = static_cast<ek_log_level>(in.Byte() % 6) - 1;
          o->log_callback = nullptr;
          o->plugin_path = in.Byte() % 2 ? nullptr : "/nonexistent-ek-dir";
          o->no_bundled_plugins = in.Byte() % 2;
        }
        ek_context* c = nullptr;
        const ek_status s = ek_context_create(o, in.Byte() % 16 ? &c : nullptr);
        Failed(s, "ek_context_create");
        if (s == EK_OK) contexts.push_back(c);
        break;
      }
      case 1: ek_context_free(Take(contexts, in)); break;
      case 2: {  // store
        if (stores.size() >= 3) break;
        Hostile<ek_store_options> h;
        ek_store_options* o = nullptr;
        if (in.Byte() % 2) {
          ek_store_options_init(h.get());
          o = WithSize(h, in);
          o->read_only = in.Byte() % 4 == 0;
          o->must_exist = in.Byte() % 4 == 0;
          o->busy_timeout_ms = in.Byte();
        }
        static const char* paths[] = {":memory:", ":memory:", ":memory:", "", nullptr,
                                      "/nonexistent-ek-dir/x.ekdb", "/proc/self/status"};
        ek_store* s = nullptr;
        const ek_status st = ek_store_open(Pick(contexts, in), paths[in.Byte() % 7], o,
                                           in.Byte() % 16 ? &s : nullptr);
        Failed(st, "ek_store_open");
        if (st == EK_OK) stores.push_back(s);
        break;
      }
      case 3: ek_store_free(Take(stores, in)); break;
      case 4: {  // create / open / drop a collection
        const uint8_t which = in.Byte() % 3;
        ek_store* st = Pick(stores, in);
        const std::string name = in.Str();
        const char* np = in.Byte() % 16 ? name.c_str() : nullptr;
        if (which == 2) {
          Failed(ek_collection_drop(st, np), "ek_collection_drop");
          break;
        }
        static const uint32_t dims[] = {0, 1, 3, 4, 65536, 65537, 0xffffffffu};
        ek_collection* c = nullptr;
        ek_collection** out = in.Byte() % 16 ? &c : nullptr;
        ek_status s;
        if (which == 0) {
          s = ek_collection_create(st, np, dims[in.Byte() % 7],
                                   static_cast<ek_metric>(in.Byte() % 5) - 1, out);
          Failed(s, "ek_collection_create");
        } else {
          s = ek_collection_open(st, np, out);
          Failed(s, "ek_collection_open");
        }
        if (s == EK_OK) cols.push_back(c);
        break;
      }
      case 5: ek_collection_free(Take(cols, in)); break;
      case 6: {  // upsert
        Hostile<ek_upsert_batch> h;
        ek_upsert_batch* b = in.Byte() % 8 ? WithSize(h, in) : nullptr;
        const size_t real = in.Byte() % 6;
        std::vector<std::string> ids(real), metas(real);
        std::vector<const char*> id_ptrs(real), meta_ptrs(real);
        const size_t dim = in.Byte() % 6;
        std::vector<float> vecs(real * dim + 1);
        for (size_t r = 0; r < real; ++r) {
          ids[r] = in.Str();
          metas[r] = in.Str();
          id_ptrs[r] = in.Byte() % 16 ? ids[r].c_str() : nullptr;
          meta_ptrs[r] = in.Byte() % 3 ? metas[r].c_str() : nullptr;
        }
        for (float& x : vecs) {
          const uint8_t k = in.Byte();
          x = k == 255 ? NAN : k == 254 ? INFINITY : float(k) - 100.f;
        }
        if (b) {
          // count: the real size, or anything with NULL arrays.
          const bool lie = in.Byte() % 8 == 0;
          b->count = lie ? in.Size(1000) : real;
          b->ids = (lie || in.Byte() % 16 == 0) ? nullptr : id_ptrs.data();
          b->vectors = (lie || in.Byte() % 16 == 0) ? nullptr : vecs.data();
          if (!lie && b->count && (!b->ids || !b->vectors)) b->count = real;
          b->dim = dim;
          b->metadata_json = in.Byte() % 4 ? meta_ptrs.data() : nullptr;
          if (lie) b->metadata_json = nullptr;
          if (lie && b->count && (b->ids || b->vectors)) b->count = 0;
        }
        Failed(ek_collection_upsert(Pick(cols, in), b), "ek_collection_upsert");
        break;
      }
      case 7: {  // get
        std::vector<float> buf(8);
        const std::string id = in.Str();
        size_t dim = 0;
        char* meta = nullptr;
        const ek_status s = ek_collection_get(
            Pick(cols, in), in.Byte() % 16 ? id.c_str() : nullptr,
            in.Byte() % 4 ? buf.data() : nullptr, in.Byte() % 9, in.Byte() % 2 ? &dim : nullptr,
            in.Byte() % 2 ? &meta : nullptr);
        Failed(s, "ek_collection_get");
        ek_string_free(meta);
        break;
      }
      case 8: {  // delete
        const size_t real = in.Byte() % 4;
        std::vector<std::string> ids(real);
        std::vector<const char*> ptrs(real);
        for (size_t r = 0; r < real; ++r) {
          ids[r] = in.Str();
          ptrs[r] = in.Byte() % 16 ? ids[r].c_str() : nullptr;
        }
        const bool null_array = in.Byte() % 8 == 0;
        size_t deleted = 0;
        Failed(ek_collection_delete(Pick(cols, in), null_array ? nullptr : ptrs.data(),
                                    null_array ? in.Size(100) : real,
                                    in.Byte() % 2 ? &deleted : nullptr),
               "ek_collection_delete");
        break;
      }
      case 9: {  // count, info
        uint64_t n = 0;
        Failed(ek_collection_count(Pick(cols, in), in.Byte() % 8 ? &n : nullptr),
               "ek_collection_count");
        Hostile<ek_collection_info> h;
        Failed(ek_collection_info_get(Pick(cols, in), in.Byte() % 8 ? WithSize(h, in) : nullptr),
               "ek_collection_info_get");
        break;
      }
      case 10: {  // search
        Hostile<ek_search_options> h;
        ek_search_options* o = nullptr;
        const std::string filter = in.Str();
        if (in.Byte() % 4) {
          ek_search_options_init(h.get());
          o = WithSize(h, in);
          o->k = in.Byte() % 4 ? in.Byte() % 20 : in.U32();
          o->filter_json = in.Byte() % 2 ? filter.c_str() : nullptr;
          o->include_metadata = in.Byte() % 2;
        }
        const size_t nq = in.Byte() % 3;
        const size_t dim = in.Byte() % 6;
        std::vector<float> q(nq * dim + 1, 0.5f);
        const bool lie = in.Byte() % 8 == 0;  // rows with a NULL buffer
        ek_results* r = nullptr;
        const ek_status s = ek_collection_search(Pick(cols, in), lie ? nullptr : q.data(),
                                                 lie ? in.Size(64) : nq, dim, o,
                                                 in.Byte() % 16 ? &r : nullptr);
        Failed(s, "ek_collection_search");
        if (s == EK_OK) results.push_back(r);
        break;
      }
      case 11: {  // list
        ek_results* r = nullptr;
        const ek_status s = ek_collection_list(Pick(cols, in), in.Size(10), in.Size(10),
                                               in.Byte() % 2, in.Byte() % 16 ? &r : nullptr);
        Failed(s, "ek_collection_list");
        if (s == EK_OK) results.push_back(r);
        break;
      }
      case 12: ek_results_free(Take(results, in)); break;
      case 13: {  // read results
        ek_results* r = Pick(results, in);
        const size_t nq = ek_results_query_count(r);
        const size_t q = in.Byte() % 4 ? in.Byte() % (nq + 1) : in.Size(4);
        const size_t nh = ek_results_hit_count(r, q);
        const size_t rank = in.Byte() % 4 ? in.Byte() % (nh + 1) : in.Size(4);
        Hostile<ek_hit> h;
        const ek_status s = ek_results_hit(r, q, rank, in.Byte() % 8 ? WithSize(h, in) : nullptr);
        Failed(s, "ek_results_hit");
        if (s == EK_OK && h.get()->struct_size >= sizeof(ek_hit)) {
          Check(h.get()->id != nullptr && std::strlen(h.get()->id) > 0, "hit without id");
        }
        break;
      }
      case 14: {  // list collections
        ek_collection_info* infos = nullptr;
        size_t n = 0;
        const ek_status s = ek_store_list_collections(
            Pick(stores, in), in.Byte() % 8 ? &infos : nullptr, in.Byte() % 8 ? &n : nullptr);
        Failed(s, "ek_store_list_collections");
        if (s == EK_OK) {
          info_arrays.push_back(infos);
          info_counts.push_back(n);
        }
        break;
      }
      case 15: {  // plugins
        ek_context* c = Pick(contexts, in);
        size_t n = 0;
        Failed(ek_plugin_count(c, in.Byte() % 8 ? &n : nullptr), "ek_plugin_count");
        Hostile<ek_plugin_info> h;
        Failed(ek_plugin_info_at(c, in.Byte() % 4 ? in.Byte() % (n + 1) : in.Size(4),
                                 in.Byte() % 8 ? WithSize(h, in) : nullptr),
               "ek_plugin_info_at");
        const std::string id = in.Str();
        Failed(ek_plugin_info_find(c, in.Byte() % 8 ? id.c_str() : nullptr,
                                   in.Byte() % 8 ? WithSize(h, in) : nullptr),
               "ek_plugin_info_find");
        break;
      }
      case 16: {  // plugin loading: only paths that hold no code
        static const char* paths[] = {nullptr, "", "/nonexistent-ek.so", "/proc/self/status",
                                      "/etc/hostname", "/"};
        const char* id = nullptr;
        Failed(ek_plugin_load(Pick(contexts, in), paths[in.Byte() % 6],
                              in.Byte() % 2 ? &id : nullptr),
               "ek_plugin_load");
        const std::string dirs = in.Byte() % 2 ? EmptyDir() + ":/nonexistent-ek-dir" : "";
        size_t loaded = 0;
        Failed(ek_plugin_load_dir(Pick(contexts, in), in.Byte() % 8 ? dirs.c_str() : nullptr,
                                  in.Byte() % 2 ? &loaded : nullptr),
               "ek_plugin_load_dir");
        break;
      }
      case 17: {  // instances of registered plugins, with fuzzed configuration
        if (instances.size() >= 2) break;
        ek_context* c = Pick(contexts, in);
        std::string pid = in.Str();
        if (c && in.Byte() % 2) {
          Hostile<ek_plugin_info> h;
          h.get()->struct_size = sizeof(ek_plugin_info);
          if (ek_plugin_info_at(c, in.Byte() % 4, h.get()) == EK_OK) pid = h.get()->id;
        }
        const std::string config = in.Str();
        ek_instance* inst = nullptr;
        const ek_status s =
            ek_instance_create(c, in.Byte() % 16 ? pid.c_str() : nullptr,
                               in.Byte() % 4 ? config.c_str() : nullptr,
                               in.Byte() % 16 ? &inst : nullptr);
        Failed(s, "ek_instance_create");
        if (s == EK_OK) instances.push_back(inst);
        break;
      }
      case 18: ek_instance_free(Take(instances, in)); break;
      case 19: {  // encoder
        ek_instance* inst = Pick(instances, in);
        const std::string ext = in.Str();
        (void)ek_instance_has_extension(inst, in.Byte() % 8 ? ext.c_str() : nullptr);
        const void* table = nullptr;
        Failed(ek_instance_get_extension(inst, in.Byte() % 8 ? ext.c_str() : nullptr,
                                         in.Byte() % 8 ? &table : nullptr),
               "ek_instance_get_extension");
        size_t dim = 0;
        const ek_status ds = ek_encoder_dim(inst, in.Byte() % 8 ? &dim : nullptr);
        Failed(ds, "ek_encoder_dim");
        const size_t count = in.Byte() % 3;
        std::vector<std::string> texts(count);
        std::vector<ek_string_view> items(count);
        for (size_t k = 0; k < count; ++k) {
          texts[k] = in.Str();
          items[k] = {texts[k].data(), texts[k].size()};
        }
        const size_t cap = (ds == EK_OK && dim < (1u << 16)) ? count * dim : 0;
        std::vector<float> out(cap + 1);
        size_t needed = 0;
        const bool small = in.Byte() % 4 == 0;
        Failed(ek_encode(inst, in.Byte() % 16 ? items.data() : nullptr, count, out.data(),
                         small ? cap / 2 : cap, in.Byte() % 2 ? &needed : nullptr),
               "ek_encode");
        break;
      }
      case 20: {  // context odds and ends
        ek_context* c = Pick(contexts, in);
        Hostile<ek_context_info> h;
        Failed(ek_context_info_get(c, in.Byte() % 8 ? WithSize(h, in) : nullptr),
               "ek_context_info_get");
        Failed(ek_context_set_progress(c, in.Byte() % 2 ? Progress : nullptr,
                                       reinterpret_cast<void*>(uintptr_t{in.Byte()})),
               "ek_context_set_progress");
        if (in.Byte() % 2) {
          (void)ek_context_cancel(c);
        } else {
          Failed(ek_context_reset_cancel(c), "ek_context_reset_cancel");
        }
        break;
      }
      case 21: {  // pure functions
        Check(ek_status_name(static_cast<ek_status>(in.U32())) != nullptr, "status name");
        Check(ek_version() != nullptr, "version");
        Check(ek_abi_version() == EK_ABI_VERSION, "abi version");
        Check(ek_last_error() != nullptr, "last error");
        ek_string_free(nullptr);
        ek_context_options_init(nullptr);
        ek_store_options_init(nullptr);
        ek_search_options_init(nullptr);
        break;
      }
      case 22: {  // free an info array
        if (info_arrays.empty()) break;
        const size_t k = in.Byte() % info_arrays.size();
        ek_collection_infos_free(info_arrays[k], info_counts[k]);
        info_arrays.erase(info_arrays.begin() + static_cast<long>(k));
        info_counts.erase(info_counts.begin() + static_cast<long>(k));
        break;
      }
      case 23: {  // key/value state, hostile namespaces, keys, values and buffers
        ek_store* store = Pick(stores, in);
        const std::string ns = in.Byte() % 4 ? "fuzz" : in.Str();
        const std::string key = in.Str();
        const std::string value = in.Str();
        const char* ns_arg = in.Byte() % 16 ? ns.c_str() : nullptr;
        const char* key_arg = in.Byte() % 16 ? key.c_str() : nullptr;
        const ek_value_kind kind = static_cast<ek_value_kind>(in.Byte() % 3);
        switch (in.Byte() % 5) {
          case 0:
          {  // a length beyond the buffer would be the caller's bug: only with NULL
            const bool null_value = in.Byte() % 8 == 0;
            Failed(ek_store_kv_put(store, ns_arg, key_arg, null_value ? nullptr : value.data(),
                                   null_value ? in.Size(1 << 20) : value.size(), kind),
                   "ek_store_kv_put");
            break;
          }
          case 1: {
            std::vector<char> buf(in.Byte() % 32);
            size_t length = 0;
            ek_value_kind got = EK_VALUE_BLOB;
            const bool null_out = buf.empty() || in.Byte() % 8 == 0;
            Failed(ek_store_kv_get(store, ns_arg, key_arg, null_out ? nullptr : buf.data(),
                                   null_out ? in.Size(64) : buf.size(),
                                   in.Byte() % 8 ? &length : nullptr, in.Byte() % 2 ? &got : nullptr),
                   "ek_store_kv_get");
            break;
          }
          case 2: {
            size_t deleted = 0;
            if (in.Byte() % 2) {
              Failed(ek_store_kv_delete(store, ns_arg, key_arg, in.Byte() % 2 ? &deleted : nullptr),
                     "ek_store_kv_delete");
            } else {
              Failed(ek_store_kv_delete_prefix(store, ns_arg, key_arg, in.Byte() % 2 ? &deleted : nullptr),
                     "ek_store_kv_delete_prefix");
            }
            break;
          }
          case 3: {
            if (results.size() >= 8) break;
            ek_results* r = nullptr;
            const std::string after = in.Str();
            Failed(ek_store_kv_list(store, ns_arg, key_arg, in.Byte() % 2 ? after.c_str() : nullptr,
                                    in.Size(16), in.Byte() % 2, in.Byte() % 8 ? &r : nullptr),
                   "ek_store_kv_list");
            if (r) results.push_back(r);
            break;
          }
          default: {  // transactions around the above
            const uint8_t t = in.Byte() % 3;
            if (t == 0) Failed(ek_store_begin(store), "ek_store_begin");
            if (t == 1) Failed(ek_store_commit(store), "ek_store_commit");
            if (t == 2) Failed(ek_store_rollback(store), "ek_store_rollback");
            break;
          }
        }
        break;
      }
      // ABI 1.2 index calls (fuzz_c_api_index.h).
      case 24: OpenIndexStore(contexts, stores, in, &index_store_used); break;
      case 25: CreateWith(stores, cols, in); break;
      case 26: Fill(cols, in, &heavy); break;
      case 27: SearchWith(cols, results, in); break;
      case 28: BuildOrCompact(cols, in, &heavy); break;
      case 29: IndexInfo(cols, in); break;
      default: {  // free everything of one kind, in input order
        const uint8_t kind = in.Byte() % 5;
        if (kind == 0) while (!contexts.empty()) ek_context_free(Take(contexts, in));
        if (kind == 1) while (!stores.empty()) ek_store_free(Take(stores, in));
        if (kind == 2) while (!cols.empty()) ek_collection_free(Take(cols, in));
        if (kind == 3) while (!results.empty()) ek_results_free(Take(results, in));
        if (kind == 4) while (!instances.empty()) ek_instance_free(Take(instances, in));
        break;
      }
    }
  }
  // What the file store holds now (committed) must be what a reopen finds once every
  // handle is gone (an open transaction rolls back, leaving the same committed state).
  std::vector<std::pair<std::string, uint64_t>> committed;
  const bool committed_read = index_store_used && CommittedCounts(&committed);
  // Free what is left in an order the input chooses: every order is allowed.
  for (size_t k = 0; k < info_arrays.size(); ++k) ek_collection_infos_free(info_arrays[k], info_counts[k]);
  const uint8_t order = in.Byte();
  for (int round = 0; round < 5; ++round) {
    switch ((order + round) % 5) {
      case 0: for (auto* c : contexts) ek_context_free(c); contexts.clear(); break;
      case 1: for (auto* s : stores) ek_store_free(s); stores.clear(); break;
      case 2: for (auto* c : cols) ek_collection_free(c); cols.clear(); break;
      case 3: for (auto* r : results) ek_results_free(r); results.clear(); break;
      case 4: for (auto* i : instances) ek_instance_free(i); instances.clear(); break;
    }
  }
  if (index_store_used) {
    std::vector<std::pair<std::string, uint64_t>> reopened;
    Check(CommittedCounts(&reopened), "the file store does not reopen");
    Check(!committed_read || reopened == committed, "a reopen found other collections or counts");
  }
  RemoveIndexStore();  // no store file outlives the input (nor the process)
  return 0;
}
