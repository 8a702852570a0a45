// Writer process for the crash-safety test of the recommender's requests: trains the
// bundled rec_unlearn plugin on a synthetic data set, saves it, then makes forget
// requests and retrains, on one store file, through the public API and the plugin's
// extensions only. One line per acknowledged request on stdout (unbuffered):
//   ACK S 0     the model was trained and saved (first run only)
//   ACK F <q>   forget request q (request id "f<q>") returned EK_OK: it forgot the
//               two pairs of RequestPairs(q) (rec_plan.h)
//   ACK T <q>   a retrain after request q returned (the model is saved again)
// A run resumes where the store is: request q = the number of ledger entries.
//
// usage: ek_rec_writer STORE
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rec_plan.h"

namespace {

void Say(const char* kind, long q) {
  char line[64];
  const int n = std::snprintf(line, sizeof line, "ACK %s %ld\n", kind, q);
  if (write(1, line, static_cast<size_t>(n)) != n) std::_Exit(3);
}

[[noreturn]] void Die(const char* what, const char* message) {
  std::fprintf(stderr, "ek_rec_writer: %s: %s\n", what, message);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE\n", argv[0]);
    return 2;
  }
  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 1;
  co.log_level = EK_LOG_ERROR;
  ek_context* ctx = nullptr;
  if (ek_context_create(&co, &ctx) != EK_OK) Die("ek_context_create", ek_last_error());
  ek_store_options so;
  ek_store_options_init(&so);
  so.busy_timeout_ms = 20000;
  ek_store* store = nullptr;
  if (ek_store_open(ctx, argv[1], &so, &store) != EK_OK) Die("ek_store_open", ek_last_error());
  ek_instance* inst = nullptr;
  if (ek_instance_create(ctx, "embedkit.rec_unlearn", ek::rec_plan::kConfig, &inst) != EK_OK)
    Die("ek_instance_create", ek_last_error());
  const ek_recommender_ext* rec = nullptr;
  const ek_unlearner_ext* unl = nullptr;
  if (ek_instance_get_extension(inst, EK_EXT_RECOMMENDER, reinterpret_cast<const void**>(&rec)) != EK_OK ||
      ek_instance_get_extension(inst, EK_EXT_UNLEARNER, reinterpret_cast<const void**>(&unl)) != EK_OK)
    Die("ek_instance_get_extension", ek_last_error());
  void* self = ek_instance_plugin_data(inst);

  if (rec->load(self, store, ek::rec_plan::kModel) != EK_OK) {
    // No model yet (a save is all or nothing, so there is none at all).
    std::vector<std::string> users, items;
    ek::rec_plan::AllPairs(&users, &items);
    std::vector<const char*> u, i;
    for (size_t k = 0; k < users.size(); ++k) {
      u.push_back(users[k].c_str());
      i.push_back(items[k].c_str());
    }
    ek_rec_interactions in{sizeof in, users.size(), u.data(), i.data(), nullptr, nullptr};
    if (rec->add_interactions(self, &in) != EK_OK) Die("add_interactions", rec->last_error(self));
    if (rec->train(self, nullptr, nullptr) != EK_OK) Die("train", rec->last_error(self));
    if (rec->save(self, store, ek::rec_plan::kModel) != EK_OK) Die("save", rec->last_error(self));
    Say("S", 0);
  }
  // Requests already in the ledger (one key each in the plugin's key/value state).
  uint64_t done = 0;
  {
    const std::string prefix = std::string(ek::rec_plan::kModel) + "/ledger/";
    ek_results* r = nullptr;
    if (ek_store_kv_list(store, "embedkit.rec_unlearn", prefix.c_str(), nullptr, 0, 0, &r) != EK_OK)
      Die("ek_store_kv_list", ek_last_error());
    done = ek_results_hit_count(r, 0);
    ek_results_free(r);
  }
  for (long q = static_cast<long>(done); q < ek::rec_plan::kMaxRequests; ++q) {
    std::string users[2], items[2];
    ek::rec_plan::RequestPairs(q, users, items);
    const char* u[2] = {users[0].c_str(), users[1].c_str()};
    const char* i[2] = {items[0].c_str(), items[1].c_str()};
    const std::string rid = "f" + std::to_string(q);
    ek_forget_request r{sizeof r, EK_FORGET_INTERACTIONS, EK_UNLEARN_MMRECUN, 0, 2, u, i, nullptr, rid.c_str()};
    if (unl->forget(self, &r, nullptr) != EK_OK) Die("forget", unl->last_error(self));
    Say("F", q);
    if (q % 4 == 3) {
      if (rec->train(self, nullptr, nullptr) != EK_OK) Die("train", rec->last_error(self));
      Say("T", q);
    }
  }
  ek_instance_free(inst);
  ek_store_free(store);
  ek_context_free(ctx);
  return 0;
}
