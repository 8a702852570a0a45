// table_match: key propagation, a decision step after the column decisions in 1:n mode
// (docs/table_match.md, "Decisions").
//
// Why: a key stands for one entity in every table that is keyed by it. IMDB's tconst
// (title_basics) and the tconst / titleid of title_crew, title_ratings and title_akas
// are the same film as Sakila's film.film_id and the film_id of film_actor,
// film_category and film_text; 16 of IMDB's 35 gold pairs are such key pairs, which no
// column score finds (the tables' text differs). Once one key pair is decided, the rest
// follow from the key graph.
//
// Terms. A key column "names" a table (matcher_tables.cc NamedTable: the table it references,
// declared or by its name, or its own table when it is that table's key). A table has
// an "own key" when one of its columns names the table itself. The "key class" of a
// table A is A's own key plus the columns naming A in tables without an own key (weak
// and link tables, e.g. film_actor, title_crew): there the key is the row's identity.
// A column naming A in a table with an own key (inventory.film_id, loan.branch_id) is a
// reference from another entity and stays out of the class.
//
// Rule. When a decided match pairs a member of source class A with the own key K of
// target table B, every member of A's class matches every member of B's class, except
// (a) a source column already matched to a column naming B other than K keeps its own
// match (BANK's Availed_By.Loan_id -> borrower.loan_id), and (b) a target column already
// matched by a column naming A is not added to the others (borrower.loan_id is not also
// given to Loan.Loan_id). The added matches name the decided pair that implied them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decide.h"

namespace tmatch {

// One side's key graph, per column: its table and the table it names (-1 for none).
struct KeyGraph {
  std::vector<uint32_t> table;
  std::vector<int> named;
  std::vector<std::string> ids;  // the columns' ids, for the explanations
};

// Whether the table stage admits the pair (source column, target column).
using PairAdmitted = std::function<bool(size_t, size_t)>;

// Adds the propagated matches to `candidates` (appended after the ranked candidates,
// with their stage-2 score from `score`, S x T row-major, and `key_path` set), only to
// target members that `admitted` allows for at least one propagating source column: the
// class is one entity, so title_crew's top tables (film_actor, film_category) serve
// title_basics.tconst too, while MIMIC-III's d_items.row_id = concept_id does not spread
// to the forty keyless OMOP tables that name concept.
void PropagateKeys(CandidateLists* candidates, const KeyGraph& source, const KeyGraph& target,
                   const std::vector<float>& score, const PairAdmitted& admitted);

}  // namespace tmatch
