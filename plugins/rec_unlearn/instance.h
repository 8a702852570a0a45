// embedkit.rec_unlearn: one plugin instance (the data, the model and the store it is
// bound to) and the functions its three rooms share: plugin.cc (the C ABI, the
// configuration, training and recommending), store_io.cc (save and load through the
// host's store) and forget.cc (forget requests and purge).
#pragma once

#include <embedkit/ext/recommender.h>
#include <embedkit/plugin.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model.h"

namespace rec {

struct Instance {
  const ek_host* host = nullptr;
  Env env;
  Config cfg;
  Data data;
  Model model;
  std::vector<float> text_vecs;  // items x cfg.text_dim
  Csr seen;
  bool seen_dirty = true;
  ek_store* store = nullptr;  // bound by save/load (not owned)
  std::string name;
  uint64_t requests = 0;
  uint32_t pending = 0;
  std::vector<uint32_t> kept_users, kept_items;  // EK_FORGET_KEEP_ROWS, until purge
  std::string last_error;
  std::vector<const char*> out_ids;
};

// ---- plugin.cc: checks, configuration, training -------------------------------------------

using ek_plugin::NotNull;
void CheckStruct(uint32_t size, size_t needed, const char* name);
// `id` as a view after checking it is 1..256 bytes without control characters;
// messages name it as what[row].
std::string_view CheckId(const char* id, const char* what, size_t row);
// The unlearning keys of a configuration object (create's config, a request's options).
void ReadUnlearnConfig(const ek_host* host, const char* json, size_t length, Config* c);
void EnsureTextVecs(Instance* s);
void RequireModel(Instance* s, const char* what);
uint32_t FindUser(Instance* s, const char* id, size_t row, const char* what);
uint32_t FindItem(Instance* s, const char* id, size_t row, const char* what);
// As FindUser/FindItem, but UINT32_MAX for a well-formed id the model does not hold
// (never held, or forgotten): EK_FORGET_SKIP_UNKNOWN's lookup.
uint32_t HeldUser(Instance* s, const char* id, size_t row, const char* what);
uint32_t HeldItem(Instance* s, const char* id, size_t row, const char* what);
std::vector<std::pair<uint32_t, uint32_t>> AllPairs(const Data& d);
// Trains a fresh model on the data held; false when cancelled.
bool TrainFresh(Instance* s, const Config& cfg, Model* out, TrainStats* st);

// ---- store_io.cc: the model in the store ------------------------------------------------

// "user\x1fitem", the id of an interaction row.
std::string PairId(const Data& d, uint32_t u, uint32_t i);
// Writes the parameters (users, items, projection, meta); with `before`, only what
// changed since those parameters (store_io.cc explains).
void SaveModel(Instance* s, const Model* before = nullptr);
// Writes the meta record alone (shape, request count): how a cancelled request,
// whose parameters are not written, still counts in the store.
void SaveMeta(Instance* s);
// Writes everything: interactions, item features and the parameters.
void SaveAll(Instance* s);
// Replaces the instance's data and model with model `name` of `store` and binds them.
void LoadModel(Instance* s, ek_store* store, const char* name);
// Deletes the stored rows of these users and items (not their interactions).
void DeleteStoredRows(Instance* s, const std::vector<uint32_t>& users, const std::vector<uint32_t>& items);
// Deletes the stored interaction rows of these (user, item) pairs.
void DeleteStoredInteractions(Instance* s, const std::vector<std::pair<uint32_t, uint32_t>>& pairs);

// ---- forget.cc: ek.unlearner/1 ----------------------------------------------------------

void ForgetRequest(Instance* s, const ek_forget_request* req, ek_forget_report* report);
uint64_t PurgeKept(Instance* s);

}  // namespace rec
