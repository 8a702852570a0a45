// ParallelFor: a C++ body over the host's thread pool (ek_host::parallel_for), with
// what the C callback cannot do itself: the first exception a chunk throws is caught
// on its worker and rethrown on the caller once every chunk has returned (later chunks
// are skipped), and a call from inside a body runs inline, since the host's pool is
// not re-entrant.
//
//   ek_plugin::ParallelFor(host, rows, 64, [&](size_t begin, size_t end) { ... });
#pragma once

#include <embedkit/plugin.h>

#include <cstddef>
#include <functional>

namespace ek_plugin {

void ParallelFor(const ek_host* host, size_t n, size_t grain,
                 const std::function<void(size_t, size_t)>& body);

}  // namespace ek_plugin
