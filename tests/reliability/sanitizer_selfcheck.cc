// Proves that sanitizer instrumentation is live in this build (compiled only when the
// build uses a sanitizer): re-runs itself in child processes that each commit one
// deliberate error and expects the sanitizer's report and a failing exit.
//   heap     heap-buffer-overflow in this binary                 (ASan)
//   library  heap-buffer-overflow written by libembedkit itself   (ASan; frames in the library)
//   ub       signed integer overflow                              (UBSan)
//   race     unsynchronised writes from two threads               (TSan)
#include <embedkit/embedkit.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "subprocess.h"

namespace {

int Heap() {
  volatile int n = 8;
  int* p = new int[n];
  p[n] = 1;  // one past the end
  const int v = p[0];
  delete[] p;
  return v;
}

// The library copies a 4-float vector into a buffer the caller claims holds 4 but
// that has 2: the overflow happens inside libembedkit's ek_collection_get.
int Library() {
  ek_context* ctx = nullptr;
  ek_store* s = nullptr;
  ek_collection* c = nullptr;
  ek_context_create(nullptr, &ctx);
  ek_store_open(ctx, ":memory:", nullptr, &s);
  ek_collection_create(s, "c", 4, EK_METRIC_DOT, &c);
  const char* id = "a";
  const float v[4] = {1, 2, 3, 4};
  ek_upsert_batch b{};
  b.struct_size = sizeof b;
  b.count = 1;
  b.ids = &id;
  b.vectors = v;
  b.dim = 4;
  ek_collection_upsert(c, &b);
  float* small = new float[2];
  size_t dim = 0;
  ek_collection_get(c, "a", small, 4, &dim, nullptr);  // lies about the capacity
  std::printf("%f\n", small[0]);
  delete[] small;
  return 0;
}

int Ub(int argc) {
  volatile int big = INT_MAX - 1 + argc;  // argc >= 2 here
  return big + 1;
}

int Race() {
  static int shared = 0;
  std::thread a([] { for (int i = 0; i < 100000; ++i) shared = shared + 1; });
  std::thread b([] { for (int i = 0; i < 100000; ++i) shared = shared + 1; });
  a.join();
  b.join();
  return shared == 0;
}

struct Mode {
  const char* name;
  const char* expect;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    const std::string m = argv[1];
    if (m == "heap") return Heap();
    if (m == "library") return Library();
    if (m == "ub") return Ub(argc);
    if (m == "race") return Race();
    return 2;
  }
  std::vector<Mode> modes;
#if EK_SELFCHECK_ASAN
  modes.push_back({"heap", "AddressSanitizer: heap-buffer-overflow"});
  modes.push_back({"library", "in ek_collection_get"});
  modes.push_back({"ub", "runtime error: signed integer overflow"});
#endif
#if EK_SELFCHECK_TSAN
  modes.push_back({"race", "ThreadSanitizer: data race"});
#endif
  if (modes.empty()) {
    std::fprintf(stderr, "built without a sanitizer\n");
    return 1;
  }
  int failures = 0;
  for (const Mode& mode : modes) {
    std::string out;
    const ek::test::Exit e = ek::test::Run({"/proc/self/exe", mode.name, "x"}, &out);
    const bool reported = out.find(mode.expect) != std::string::npos;
    const bool failed = !(e.exited() && e.code() == 0);
    std::printf("%-8s %s, exit status %d: %s\n", mode.name,
                reported ? "reported" : "NOT reported", e.status,
                reported && failed ? "ok" : "FAILED");
    if (mode.expect == std::string("in ek_collection_get") &&
        out.find("AddressSanitizer: heap-buffer-overflow") == std::string::npos) {
      std::printf("library: no heap-buffer-overflow report\n");
      ++failures;
    }
    if (!reported || !failed) {
      ++failures;
      std::printf("---- child output ----\n%s\n----\n", out.c_str());
    }
  }
  return failures ? 1 : 0;
}
