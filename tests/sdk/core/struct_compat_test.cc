// Options and info structs cross the ABI with struct_size first: a caller built
// against an older (smaller) or newer (larger) header must keep working.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <thread>

#include "embedkit/embedkit.h"

namespace {

TEST(StructCompat, OlderOptionsStructGetsDefaultsForMissingFields) {
  ek_context_options o;
  ek_context_options_init(&o);
  o.num_threads = 1;
  o.plugin_path = "/this/would/fail/if/read";
  // An "old" caller knows only the fields before plugin_path.
  o.struct_size = offsetof(ek_context_options, plugin_path);
  ek_context* ctx = nullptr;
  ASSERT_EQ(EK_OK, ek_context_create(&o, &ctx)) << ek_last_error();
  ek_context_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(EK_OK, ek_context_info_get(ctx, &info));
  EXPECT_EQ(1u, info.num_threads);
  ek_context_free(ctx);
}

TEST(StructCompat, NewerInfoStructKeepsUnknownTail) {
  ek_context* ctx = nullptr;
  ASSERT_EQ(EK_OK, ek_context_create(nullptr, &ctx));
  struct Newer {
    ek_context_info known;
    uint64_t future_field;
  } newer;
  std::memset(&newer, 0, sizeof newer);
  newer.known.struct_size = sizeof newer;
  newer.future_field = 0xABCDu;
  ASSERT_EQ(EK_OK, ek_context_info_get(ctx, &newer.known));
  EXPECT_EQ(sizeof newer, newer.known.struct_size);
  EXPECT_EQ(0xABCDu, newer.future_field);
  EXPECT_GE(newer.known.num_threads, 1u);
  ek_context_free(ctx);
}

TEST(StructCompat, OlderInfoStructIsFilledOnlyAsFarAsItReaches) {
  ek_context* ctx = nullptr;
  ASSERT_EQ(EK_OK, ek_context_create(nullptr, &ctx));
  ek_context_info info;
  std::memset(&info, 0x5A, sizeof info);
  info.struct_size = offsetof(ek_context_info, num_threads);
  ASSERT_EQ(EK_OK, ek_context_info_get(ctx, &info));
  // "auto": the CPU, or the GPU where a CUDA build finds one.
  EXPECT_TRUE(std::strcmp("cpu", info.backend) == 0 || std::strcmp("cuda", info.backend) == 0)
      << info.backend;
  unsigned char sentinel[sizeof(uint32_t)];
  std::memcpy(sentinel, &info.num_threads, sizeof sentinel);
  for (unsigned char b : sentinel) EXPECT_EQ(0x5A, b);  // untouched
  ek_context_free(ctx);
}

TEST(LastError, IsPerThreadAndNamesTheFunction) {
  ek_context* ctx = nullptr;
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, ek_context_create(nullptr, nullptr));
  std::string message = ek_last_error();
  EXPECT_NE(std::string::npos, message.find("ek_context_create"));
  EXPECT_NE(std::string::npos, message.find("out_context"));
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  // WebAssembly without pthreads has no second thread to ask.
#else
  std::string other_thread;
  std::thread([&] { other_thread = ek_last_error(); }).join();
  EXPECT_EQ("", other_thread);
#endif
  (void)ctx;
}

}  // namespace

namespace {
// A struct_size that ends inside a field (no real header version has it) is refused
// instead of copying half of a pointer (found by the C-ABI fuzzer).
TEST(StructCompat, SizeEndingInsideAFieldIsRefused) {
  ek_context_options o;
  ek_context_options_init(&o);
  // Inside `backend`: bytes 12 of 16 on LP64, 6 of 8 on wasm32 (where 12 is a
  // field boundary).
  const uint32_t inside = offsetof(ek_context_options, backend) + sizeof(void*) / 2;
  o.struct_size = inside;
  ek_context* ctx = nullptr;
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, ek_context_create(&o, &ctx));
  EXPECT_NE(std::string::npos,
            std::string(ek_last_error()).find("struct_size is " + std::to_string(inside)));
  EXPECT_EQ(nullptr, ctx);
  ASSERT_EQ(EK_OK, ek_context_create(nullptr, &ctx));
  ek_context_info info{};
  info.struct_size = 13;
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, ek_context_info_get(ctx, &info));
  ek_context_free(ctx);
}
}  // namespace
