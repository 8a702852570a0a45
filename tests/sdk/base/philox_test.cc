// Philox-4x32-10 against the known-answer vectors published with Random123
// (kat_vectors: philox4x32 10 rounds).
#include "base/philox.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

TEST(Philox, KnownAnswerZeros) {
  auto out = ek::Philox4x32({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
}

TEST(Philox, KnownAnswerOnes) {
  auto out = ek::Philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                            {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(out[0], 0x408f276du);
  EXPECT_EQ(out[1], 0x41c83b0eu);
  EXPECT_EQ(out[2], 0xa20bc7c6u);
  EXPECT_EQ(out[3], 0x6d5451fdu);
}

TEST(Philox, KnownAnswerPi) {
  auto out = ek::Philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                            {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(out[0], 0xd16cfe09u);
  EXPECT_EQ(out[1], 0x94fdccebu);
  EXPECT_EQ(out[2], 0x5001e420u);
  EXPECT_EQ(out[3], 0x24126ea1u);
}

TEST(Philox, FillIsCounterAddressed) {
  // Words from block c onwards equal the tail of a fill from block 0.
  uint32_t all[12], tail[4];
  ek::PhiloxFill(42, 0, all, 12);
  ek::PhiloxFill(42, 2, tail, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[8 + i], tail[i]);
  uint32_t other[12];
  ek::PhiloxFill(43, 0, other, 12);
  EXPECT_NE(0, std::memcmp(all, other, sizeof all));
}

}  // namespace
