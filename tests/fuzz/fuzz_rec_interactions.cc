// libFuzzer target: interaction files of rec_unlearn (`user item [rating
// [timestamp]]`, the parser of `embedkit rec`, sdk/cli/cmd_rec_harness.h), then the
// recommender and unlearner on what they contain: add_interactions with the ratings
// as weights (NaN and infinities included), a short training, a recommendation and a
// forget request for the first pair. Invariants: no crash or sanitizer report; a
// refused file or call says why; a refused forget request changes nothing.
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cmd_rec_harness.h"
#include "fuzz_plugin.h"

namespace h = ek::rec_harness;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<h::Row> rows;
  try {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    rows = h::ParseInteractions(in, "fuzz");
  } catch (const h::Failure& e) {
    fuzz::Invariant(std::string(e.what()).find("fuzz") != std::string::npos, "message without the source");
    return 0;
  }
  if (rows.size() > 2000) rows.resize(2000);
  ek_instance* inst = fuzz::Instance("embedkit.rec_unlearn", R"({"dim":8,"epochs":2,"text_dim":0,"seed":1})");
  fuzz::Invariant(inst != nullptr, "rec_unlearn instance");
  const auto* r = fuzz::Extension<ek_recommender_ext>(inst, EK_EXT_RECOMMENDER);
  const auto* u = fuzz::Extension<ek_unlearner_ext>(inst, EK_EXT_UNLEARNER);
  void* self = ek_instance_plugin_data(inst);
  std::vector<const char*> users, items;
  std::vector<float> weights;
  for (const auto& row : rows) {
    users.push_back(row.user.c_str());
    items.push_back(row.item.c_str());
    weights.push_back(row.rating);
  }
  ek_rec_interactions in{};
  in.struct_size = sizeof in;
  in.count = rows.size();
  in.users = users.data();
  in.items = items.data();
  in.weights = weights.data();
  if (fuzz::Ok(r, self, r->add_interactions(self, &in), "add_interactions") &&
      fuzz::Ok(r, self, r->train(self, nullptr, nullptr), "train")) {
    const char* out_items[5];
    float scores[5];
    size_t got = 0;
    if (fuzz::Ok(r, self, r->recommend(self, users[0], 5, 1, out_items, scores, &got), "recommend"))
      fuzz::Invariant(got <= 5, "recommend wrote more than k");
    ek_rec_stats before{}, after{};
    before.struct_size = after.struct_size = sizeof before;
    r->stats(self, &before);
    ek_forget_request req{};
    req.struct_size = sizeof req;
    req.kind = EK_FORGET_INTERACTIONS;
    req.method = EK_UNLEARN_MMRECUN;
    req.count = 1;
    req.users = users.data();
    req.items = items.data();
    // last_error() holds until the next call on the instance: check it first.
    const bool forgot = fuzz::Ok(u, self, u->forget(self, &req, nullptr), "forget");
    r->stats(self, &after);
    if (!forgot) fuzz::Invariant(after.interactions == before.interactions, "a refused forget removed interactions");
  }
  ek_instance_free(inst);
  return 0;
}
