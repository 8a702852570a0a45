// What the opaque handles of embedkit.h are. Every handle holds shared ownership of
// what it depends on, so handles may be freed in any order without dangling.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/context.h"
#include "embedkit/plugin.h"
#include "store/store.h"

struct ek_context {
  std::shared_ptr<ek::Context> impl;
};

struct ek_instance {
  std::shared_ptr<ek::Context> context;
  const ek::RegisteredPlugin* plugin = nullptr;  // owned by the context's registry
  ek_host host{};
  void* data = nullptr;                          // the plugin's instance
};

struct ek_store {
  std::shared_ptr<ek::Context> context;
  std::shared_ptr<ek::store::Store> impl;
  std::string path;
};

struct ek_collection {
  std::shared_ptr<ek::Context> context;
  std::shared_ptr<ek::store::Store> store;
  std::string name;
};

struct ek_results {
  std::vector<std::vector<ek::store::Hit>> queries;
};
