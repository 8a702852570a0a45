// The plan xBestIndex chooses for the `embedkit` table and hands to xFilter through
// idxStr: what kind of scan, and what each xFilter argument (argv[i]) means.
//
//   full scan   every row (ListAfter pages); constraints stay with SQLite
//   point       rowid / primary key = or IN: those rows only
//   knn         embedding MATCH ? with k = ?, or LIMIT (+ OFFSET) when the ORDER BY is
//               absent or `distance` ascending; without either, rows by distance for as
//               long as SQLite reads (distance < / <= r ends them: range search);
//               distance > / >= r skips the nearest (vec0's paging, before k);
//               metadata constraints become the store's filter (vtab_filter.h)
//
// idxStr is the plan kind ('F', 'P', 'K') then one term per argument in argv order,
// each "<role><op><column>;", e.g. "Km=1;k=3;c<4;". It stays inside this process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ek::sql {

enum class PlanKind : char { kFullScan = 'F', kPoint = 'P', kKnn = 'K' };

enum class TermRole : char {
  kMatch = 'm',     // the query vector
  kK = 'k',         // k = ?
  kLimit = 'l',     // LIMIT ? (used as k)
  kOffset = 'o',    // OFFSET ? (added to the LIMIT)
  kEf = 'e',        // ef = ?
  kDistance = 'd',  // distance < <= > or >= ? (the op says which)
  kRowid = 'r',     // rowid = ? or IN
  kKey = 'p',       // primary key column = ? or IN
  kColumn = 'c',    // a metadata / partition key constraint
};

// Comparison of a term ('I' = an IN list read with sqlite3_vtab_in_first/next).
enum class TermOp : char {
  kEq = '=', kIn = 'I', kNe = '!', kLt = '<', kLe = 'L', kGt = '>', kGe = 'G',
  kIsNull = 'n', kIsNotNull = 'N', kGlob = 'g', kLike = 'l',
};

struct PlanTerm {
  TermRole role;
  TermOp op = TermOp::kEq;
  int column = -1;
};

struct Plan {
  PlanKind kind = PlanKind::kFullScan;
  std::vector<PlanTerm> terms;  // terms[i] describes xFilter's argv[i]
};

std::string EncodePlan(const Plan& plan);
Plan DecodePlan(std::string_view idx_str);  // throws ek::Error for a text EncodePlan did not make

// idxNum flags.
inline constexpr int kPlanNeedsVector = 1;  // the vector column is read

}  // namespace ek::sql
