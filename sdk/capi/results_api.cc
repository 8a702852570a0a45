// ek_results_*: read-only accessors over a result set the caller owns.
#include "capi/guard.h"
#include "capi/handles.h"
#include "embedkit/embedkit.h"

extern "C" {

EK_API size_t ek_results_query_count(const ek_results* results) {
  return results ? results->queries.size() : 0;
}

EK_API size_t ek_results_hit_count(const ek_results* results, size_t query) {
  if (!results || query >= results->queries.size()) return 0;
  return results->queries[query].size();
}

EK_API ek_status ek_results_hit(const ek_results* results, size_t query, size_t rank,
                                ek_hit* out_hit) {
  return ek::capi::Guard("ek_results_hit", [&] {
    ek::capi::RequireNotNull(results, "results");
    if (query >= results->queries.size()) {
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "query " + std::to_string(query) + " is out of range (" +
                                            std::to_string(results->queries.size()) + " queries)");
    }
    const auto& hits = results->queries[query];
    if (rank >= hits.size()) {
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "rank " + std::to_string(rank) + " is out of range (" +
                                            std::to_string(hits.size()) + " hits for query " +
                                            std::to_string(query) + ")");
    }
    const auto& h = hits[rank];
    ek_hit hit{};
    hit.struct_size = sizeof(hit);
    hit.id = h.id.c_str();
    hit.score = h.score;
    hit.metadata_json = h.metadata ? h.metadata->c_str() : nullptr;
    ek::capi::WriteInfo(out_hit, hit, "out_hit");
  });
}

EK_API void ek_results_free(ek_results* results) { delete results; }

}  // extern "C"
