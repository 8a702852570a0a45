// libFuzzer target: the pieces of issue 19's index that read bytes or numbers a store
// file or a caller controls. The first byte picks one of three drivers (byte % 3):
//   0 graph    HnswGraph::DecodeHeader + LoadNode of fuzzed records + VerifyLoaded,
//              and LoadNodes of the same records, which must fail or load alike; a
//              graph that verifies is searched (a distance over fuzzed floats, with and
//              without a filter) and edited (Remove, Insert): it must verify, round-trip
//              through its records byte for byte, and a copy loaded before the edit
//              must catch up from the dirty records (UnloadNode, LoadNode, ReloadHeader).
//   1 kernels  EncodeF16/EncodeInt8/EncodeBits and F16ScoreMany/Int8ScoreMany/
//              HammingMany/QuantizedScanTopK on fuzzed vectors against the scalar twins
//              (kernels/quantized_reference.h): int8 and Hamming exactly, f16 within a
//              worst-case rounding bound. NaN/Inf inputs must be refused with
//              ek::Error(EK_ERR_INVALID_ARGUMENT) before anything is written.
//   2 filter   json::Filter::Compile of fuzzed text and Matches on fuzzed documents:
//              errors are ek::Error with a "filter: " message; {"$not": F} matches
//              exactly the objects F does not.
// Any other exception escapes and aborts the run. Each driver is in its header
// (fuzz_index_graph.h, _kernels.h, _filter.h) with its input layout and its seeds;
// LLVMFuzzerInitialize writes the seed corpus instead of fuzzing when
// EK_FUZZ_INDEX_WRITE_SEEDS names a folder (corpus/fuzz_index/README).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_index_filter.h"
#include "fuzz_index_graph.h"
#include "fuzz_index_input.h"
#include "fuzz_index_kernels.h"

// EK_FUZZ_INDEX_WRITE_SEEDS=DIR: write the seed corpus into DIR and exit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("EK_FUZZ_INDEX_WRITE_SEEDS")) {
    fuzz_index::WriteGraphSeeds(dir);
    fuzz_index::WriteKernelSeeds(dir);
    fuzz_index::WriteFilterSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_index::Input in(data, size);
  switch (in.U8() % 3) {
    case 0: fuzz_index::FuzzGraph(in); break;
    case 1: fuzz_index::FuzzKernels(in); break;
    default: fuzz_index::FuzzFilter(in); break;
  }
  return 0;
}
