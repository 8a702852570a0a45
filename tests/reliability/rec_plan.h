// The synthetic data set and request plan shared by ek_rec_writer and the crash test:
// 240 users x 24 interactions each over 300 items (deterministic), and forget request
// q removing interactions 2q and 2q + 1 (RequestPairs).
#ifndef EK_TESTS_RELIABILITY_REC_PLAN_H
#define EK_TESTS_RELIABILITY_REC_PLAN_H

#include <cstdint>
#include <string>
#include <vector>

namespace ek::rec_plan {

constexpr const char* kModel = "rec";
constexpr const char* kConfig = R"({"dim":8,"epochs":3,"seed":5})";
constexpr int kUsers = 240, kPerUser = 24, kItems = 300;
constexpr long kMaxRequests = 2000;  // 4,000 pairs of the 5,760: far more than the test reaches

inline uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

// Interaction k (0 <= k < kUsers * kPerUser): user k % kUsers, its (k / kUsers)-th item.
inline void Pair(long k, std::string* user, std::string* item) {
  const long u = k % kUsers, j = k / kUsers;
  // kPerUser distinct items per user: a stride through the items, offset per user.
  const long i = (u * 37 + j * 13 + long(Mix(uint64_t(u)) % 7)) % kItems;
  *user = "u" + std::to_string(u);
  *item = "i" + std::to_string(i);
}

inline void AllPairs(std::vector<std::string>* users, std::vector<std::string>* items) {
  for (long k = 0; k < long(kUsers) * kPerUser; ++k) {
    std::string u, i;
    Pair(k, &u, &i);
    users->push_back(u);
    items->push_back(i);
  }
}

// Request q forgets interactions 2q and 2q + 1: in that order the pairs go round-robin
// over the users, so every user keeps most of its interactions.
inline void RequestPairs(long q, std::string users[2], std::string items[2]) {
  for (int p = 0; p < 2; ++p) Pair(2 * q + p, &users[p], &items[p]);
}

}  // namespace ek::rec_plan

#endif
