// embedkit.table_match through the public C API and its "ek.matcher/1" table.
#include <embedkit/embedkit.h>
#include <embedkit/ext/matcher.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <unistd.h>

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One ranked candidate of a source column, with its target column.
struct RankedCandidate {
  ek_matcher_candidate candidate{};
  ek_matcher_column target{};
};

// The ranked candidates of source column `col` in r, best first (what SignalOf, Matches,
// Best and Evaluate walk).
std::vector<RankedCandidate> CandidatesOf(const ek_matcher_ext* m, ek_matcher_result* r, size_t col) {
  size_t k = 0;
  EXPECT_EQ(m->result_column(r, col, nullptr, &k), EK_OK);
  std::vector<RankedCandidate> out(k);
  for (size_t j = 0; j < k; ++j) {
    RankedCandidate& rc = out[j];
    rc.candidate.struct_size = sizeof rc.candidate;
    EXPECT_EQ(m->result_candidate(r, col, j, &rc.candidate), EK_OK);
    rc.target.struct_size = sizeof rc.target;
    EXPECT_EQ(m->result_target(r, rc.candidate.target_index, &rc.target), EK_OK);
  }
  return out;
}

// A match result that frees itself; empty where loading or matching failed (the failure
// is already reported). It converts to the raw pointer the ek_matcher_ext calls take.
class MatchResult {
 public:
  MatchResult(const ek_matcher_ext* m, ek_matcher_result* r) : m_(m), r_(r) {}
  MatchResult(MatchResult&& other) noexcept : m_(other.m_), r_(std::exchange(other.r_, nullptr)) {}
  MatchResult(const MatchResult&) = delete;
  MatchResult& operator=(const MatchResult&) = delete;
  MatchResult& operator=(MatchResult&&) = delete;
  ~MatchResult() {
    if (r_) m_->result_free(r_);
  }
  operator ek_matcher_result*() const { return r_; }

 private:
  const ek_matcher_ext* m_;
  ek_matcher_result* r_;
};

class TableMatch : public ::testing::Test {
 protected:
  void SetUp() override { Make("{}"); }
  void TearDown() override {
    ek_instance_free(inst_);
    ek_context_free(ctx_);
  }
  void Make(const std::string& config) {
    if (inst_) ek_instance_free(inst_);
    inst_ = nullptr;
    if (!ctx_) {
      ek_context_options o;
      ek_context_options_init(&o);
      o.num_threads = 2;
      ASSERT_EQ(ek_context_create(&o, &ctx_), EK_OK) << ek_last_error();
    }
    ASSERT_EQ(ek_instance_create(ctx_, "embedkit.table_match", config.c_str(), &inst_), EK_OK)
        << ek_last_error();
    const void* t = nullptr;
    ASSERT_EQ(ek_instance_get_extension(inst_, EK_EXT_MATCHER, &t), EK_OK);
    m_ = static_cast<const ek_matcher_ext*>(t);
    self_ = ek_instance_plugin_data(inst_);
  }
  ek_status Load(uint32_t side, const std::string& text, uint32_t fmt = EK_MATCHER_FORMAT_AUTO) {
    return m_->load(self_, side, text.data(), text.size(), fmt);
  }
  std::string Error() const { return m_->last_error(self_); }
  // Loads `source` and `target` into the current instance and matches them with the
  // default options as `adjust` changes them. A failed step is reported with Error() and
  // stops there, giving an empty result.
  MatchResult MatchSchemas(const std::string& source, const std::string& target,
                           const std::function<void(ek_matcher_options&)>& adjust = nullptr) {
    const ek_status loaded_source = Load(EK_MATCHER_SOURCE, source);
    EXPECT_EQ(loaded_source, EK_OK) << Error();
    if (loaded_source != EK_OK) return MatchResult(m_, nullptr);
    const ek_status loaded_target = Load(EK_MATCHER_TARGET, target);
    EXPECT_EQ(loaded_target, EK_OK) << Error();
    if (loaded_target != EK_OK) return MatchResult(m_, nullptr);
    ek_matcher_options o;
    m_->options_init(&o);
    if (adjust) adjust(o);
    ek_matcher_result* r = nullptr;
    EXPECT_EQ(m_->match(self_, &o, &r), EK_OK) << Error();
    return MatchResult(m_, r);
  }
  MatchResult MatchSchemas(const std::string& source, const std::string& target, uint32_t top_k) {
    return MatchSchemas(source, target, [top_k](ek_matcher_options& o) { o.top_k = top_k; });
  }
  // Best candidate's target id for source column `i`.
  std::string Best(ek_matcher_result* r, size_t i, float* score = nullptr, bool* match = nullptr) {
    const std::vector<RankedCandidate> ranked = CandidatesOf(m_, r, i);
    if (ranked.empty()) {
      ADD_FAILURE() << "source column " << i << " has no candidates";
      return "";
    }
    if (score) *score = ranked[0].candidate.score;
    if (match) *match = ranked[0].candidate.is_match != 0;
    return ranked[0].target.id;
  }
  ek_context* ctx_ = nullptr;
  ek_instance* inst_ = nullptr;
  const ek_matcher_ext* m_ = nullptr;
  void* self_ = nullptr;
};

const char* kDdl = R"(
-- Table: Customer
CREATE TABLE Customer (
    CustId INT PRIMARY KEY,           -- unique identifier of the customer
    Cust_Name VARCHAR(50) NOT NULL,
    Phone_No VARCHAR(15) COMMENT 'Phone number of the customer',
    DOB DATE
);
COMMENT ON COLUMN Customer.Cust_Name IS 'Full name of the customer';
INSERT INTO Customer VALUES (1, 'a', 'b', '2000-01-01');
)";

const char* kGlossary =
    "id,label,description,synonyms\n"
    "\n"
    "G1,Customer Identifier,The unique identifier of a customer,client id\n"
    "G2,Customer Name,\"The full name of the customer, as registered\",\n"
    "G3,Telephone Number,Phone number used to contact the customer,phone\n"
    "G4,Date of Birth,The birth date of the person,birthday\n"
    "G5,Account Balance,Current balance of an account,\n";

TEST_F(TableMatch, DdlAndCsvGlossaryMatch) {
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, kDdl), EK_OK) << Error();
  ASSERT_EQ(Load(EK_MATCHER_TARGET, kGlossary), EK_OK) << Error();
  size_t n = 0;
  ASSERT_EQ(m_->count(self_, EK_MATCHER_SOURCE, &n), EK_OK);
  ASSERT_EQ(n, 4u);
  ek_matcher_column c{};
  c.struct_size = sizeof c;
  ASSERT_EQ(m_->column(self_, EK_MATCHER_SOURCE, 0, &c), EK_OK);
  EXPECT_STREQ(c.id, "Customer.CustId");
  EXPECT_STREQ(c.type, "INT");
  EXPECT_STREQ(c.description, "unique identifier of the customer");  // inline "--"
  ASSERT_EQ(m_->column(self_, EK_MATCHER_SOURCE, 1, &c), EK_OK);
  EXPECT_STREQ(c.description, "Full name of the customer");  // COMMENT ON
  ASSERT_EQ(m_->column(self_, EK_MATCHER_SOURCE, 2, &c), EK_OK);
  EXPECT_STREQ(c.description, "Phone number of the customer");  // COMMENT '...'
  ek_matcher_options o;
  m_->options_init(&o);
  ek_matcher_result* r = nullptr;
  ASSERT_EQ(m_->match(self_, &o, &r), EK_OK) << Error();
  EXPECT_EQ(Best(r, 0), "G1");
  EXPECT_EQ(Best(r, 1), "G2");
  EXPECT_EQ(Best(r, 2), "G3");
  EXPECT_EQ(Best(r, 3), "G4");  // "DOB": abbreviation dictionary
  // Explanations: one signal per name, contributions finite.
  ek_matcher_candidate cand{};
  cand.struct_size = sizeof cand;
  ASSERT_EQ(m_->result_candidate(r, 0, 0, &cand), EK_OK);
  ASSERT_EQ(cand.signal_count, m_->signal_count(self_));
  for (size_t q = 0; q < cand.signal_count; ++q) {
    EXPECT_NE(m_->signal_name(self_, q), nullptr);
    EXPECT_TRUE(std::isfinite(cand.contributions[q]));
  }
  EXPECT_GE(cand.score, 0.f);
  EXPECT_LE(cand.score, 1.f);
  char* json = nullptr;
  ASSERT_EQ(m_->result_json(r, &json), EK_OK);
  EXPECT_NE(std::string(json).find("\"contributions\""), std::string::npos);
  m_->free_text(json);
  // 1:1: every target at most once among the matches.
  o.mode = EK_MATCHER_MODE_ONE_TO_ONE;
  o.threshold = 0;
  ek_matcher_result* r2 = nullptr;
  ASSERT_EQ(m_->match(self_, &o, &r2), EK_OK) << Error();
  std::set<size_t> used;
  for (size_t i = 0; i < m_->result_column_count(r2); ++i) {
    size_t k = 0;
    ASSERT_EQ(m_->result_column(r2, i, nullptr, &k), EK_OK);
    for (size_t j = 0; j < k; ++j) {
      ASSERT_EQ(m_->result_candidate(r2, i, j, &cand), EK_OK);
      if (cand.is_match) {
        EXPECT_TRUE(used.insert(cand.target_index).second);
      }
    }
  }
  EXPECT_EQ(used.size(), 4u);
  m_->result_free(r2);
  m_->result_free(r);
}

// Scoring S x T pairs takes seconds on thousands of columns: it reports progress to
// the host (the CLI's bar) and a progress callback returning non-zero cancels it.
TEST_F(TableMatch, ScoringReportsProgressAndCancels) {
  struct Seen {
    std::vector<std::pair<uint64_t, uint64_t>> scoring;  // (done, total)
    int32_t answer = 0;
  } seen;
  ASSERT_EQ(ek_context_set_progress(ctx_,
                                    [](void* u, const char* task, uint64_t done, uint64_t total) -> int32_t {
                                      auto* s = static_cast<Seen*>(u);
                                      if (task && std::string(task) == "table_match scoring")
                                        s->scoring.emplace_back(done, total);
                                      return s->answer;
                                    },
                                    &seen),
            EK_OK);
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, kDdl), EK_OK) << Error();
  ASSERT_EQ(Load(EK_MATCHER_TARGET, kGlossary), EK_OK) << Error();
  ek_matcher_options o;
  m_->options_init(&o);
  ek_matcher_result* r = nullptr;
  ASSERT_EQ(m_->match(self_, &o, &r), EK_OK) << Error();
  m_->result_free(r);
  ASSERT_FALSE(seen.scoring.empty());
  EXPECT_EQ(seen.scoring.back().first, seen.scoring.back().second);  // finished: done == total
  EXPECT_GE(seen.scoring.back().second, 1u);
  seen.answer = 1;
  r = nullptr;
  EXPECT_EQ(m_->match(self_, &o, &r), EK_ERR_CANCELLED) << Error();
  EXPECT_EQ(r, nullptr);
  ek_context_set_progress(ctx_, nullptr, nullptr);
}

TEST_F(TableMatch, SchemaJsonLayouts) {
  ASSERT_EQ(Load(EK_MATCHER_SOURCE,
                 R"({"tables":[{"name":"t","columns":[{"name":"a","type":"int"},{"name":"b"}]}]})"),
            EK_OK)
      << Error();
  ASSERT_EQ(Load(EK_MATCHER_TARGET,
                 R"({"u":{"table":"u","table_description":"x';","columns":{"a":{"name":"a","description":"A"}}}})"),
            EK_OK)
      << Error();
  size_t n = 0;
  m_->count(self_, EK_MATCHER_TARGET, &n);
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(Load(EK_MATCHER_TARGET, R"([{"id":"g","label":"L","synonyms":["x","y"]}])"), EK_OK) << Error();
  ek_matcher_column c{};
  c.struct_size = sizeof c;
  ASSERT_EQ(m_->column(self_, EK_MATCHER_TARGET, 1, &c), EK_OK);
  EXPECT_STREQ(c.synonyms, "x|y");
}

// A candidate's signal by name (-1e9 when absent); `target` is set to its target id.
float SignalOf(const ek_matcher_ext* m, void* self, ek_matcher_result* r, size_t col,
               const std::string& target, const std::string& name) {
  for (const RankedCandidate& rc : CandidatesOf(m, r, col)) {
    if (target != rc.target.id) continue;
    for (size_t q = 0; q < rc.candidate.signal_count; ++q)
      if (name == m->signal_name(self, q)) return rc.candidate.signals[q];
  }
  return -1e9f;
}

// Same-named targets in several tables (person_id everywhere): the table context
// (which target table the source table's columns match best) decides.
TEST_F(TableMatch, TableContextPicksTheCorrespondingTable) {
  const MatchResult r = MatchSchemas(R"(
CREATE TABLE visits (visit_id INT PRIMARY KEY, person_id INT REFERENCES people(pid),
  visit_start_date DATE, visit_end_date DATE, visit_type VARCHAR(20));
CREATE TABLE prescriptions (person_id INT, drug_name VARCHAR(50), dose_amount DECIMAL,
  dose_unit VARCHAR(10));
CREATE TABLE people (pid INT PRIMARY KEY, gender VARCHAR(1), birth_date DATE);
)",
                                     R"(
CREATE TABLE person (person_id INT PRIMARY KEY, gender_source_value VARCHAR(1), birth_datetime DATE);
CREATE TABLE visit_occurrence (visit_occurrence_id INT PRIMARY KEY,
  person_id INT REFERENCES person(person_id), visit_start_date DATE, visit_end_date DATE,
  visit_type_source_value VARCHAR(20));
CREATE TABLE drug_exposure (drug_exposure_id INT PRIMARY KEY,
  person_id INT REFERENCES person(person_id), drug_source_value VARCHAR(50),
  quantity DECIMAL, dose_unit_source_value VARCHAR(10));
)",
                                     20);
  ASSERT_TRUE(r);
  size_t visits_person = 99, rx_person = 99, visit_id = 99;
  for (size_t i = 0; i < m_->result_column_count(r); ++i) {
    ek_matcher_column c{};
    c.struct_size = sizeof c;
    size_t k = 0;
    ASSERT_EQ(m_->result_column(r, i, &c, &k), EK_OK);
    if (std::string(c.id) == "visits.person_id") visits_person = i;
    if (std::string(c.id) == "prescriptions.person_id") rx_person = i;
    if (std::string(c.id) == "visits.visit_id") visit_id = i;
  }
  ASSERT_LT(visits_person, 99u);
  ASSERT_LT(rx_person, 99u);
  // The corresponding table is the best one (gap 0), another one is behind.
  EXPECT_FLOAT_EQ(SignalOf(m_, self_, r, visits_person, "visit_occurrence.person_id", "table_row"), 0.f);
  EXPECT_LT(SignalOf(m_, self_, r, visits_person, "drug_exposure.person_id", "table_row"), 0.f);
  EXPECT_FLOAT_EQ(SignalOf(m_, self_, r, rx_person, "drug_exposure.person_id", "table_row"), 0.f);
  EXPECT_EQ(Best(r, visits_person), "visit_occurrence.person_id");
  EXPECT_EQ(Best(r, rx_person), "drug_exposure.person_id");
  // Foreign keys whose referenced tables correspond: ref_context > 0; a column that
  // is no foreign key: 0. Primary keys of corresponding tables: key_context > 0.
  EXPECT_GT(SignalOf(m_, self_, r, visits_person, "visit_occurrence.person_id", "ref_context"), 0.f);
  EXPECT_EQ(SignalOf(m_, self_, r, rx_person, "drug_exposure.person_id", "ref_context"), 0.f);
  EXPECT_GT(SignalOf(m_, self_, r, visit_id, "visit_occurrence.visit_occurrence_id", "key_context"), 0.f);
  EXPECT_EQ(SignalOf(m_, self_, r, visit_id, "visit_occurrence.person_id", "key_context"), 0.f);
}

// ---- Stage A, the tables (plugins/table_match/tables.h) -----------------------------------
// A small model (one lexical signal) with the table stage's hand-set parameters, so the
// table-stage tests depend on no fitted weights and no word vectors.
std::string TableStageConfig(const std::string& table_stage, const std::string& extra = "") {
  const std::string model = std::filesystem::temp_directory_path() /
                            ("tm_table_stage_" + std::to_string(::getpid()) + ".json");
  std::ofstream(model) << R"({"variants":[{"name":"t","signals":["name_tok","name_char"],)"
                       << R"("weights":[2,2],"bias":-2,"threshold":0.5,"max_matches":2,"table_stage":)"
                       << table_stage << "}]}";
  return R"({"wordvec":"none","model":")" + model + "\"" + extra + "}";
}

// Column i of r whose id is `id`.
size_t ColumnIndex(const ek_matcher_ext* m, ek_matcher_result* r, const std::string& id) {
  for (size_t i = 0; i < m->result_column_count(r); ++i) {
    ek_matcher_column c{};
    c.struct_size = sizeof c;
    EXPECT_EQ(m->result_column(r, i, &c, nullptr), EK_OK);
    if (id == c.id) return i;
  }
  ADD_FAILURE() << "no source column " << id;
  return 0;
}

std::string ResultJson(const ek_matcher_ext* m, ek_matcher_result* r) {
  char* json = nullptr;
  EXPECT_EQ(m->result_json(r, &json), EK_OK);
  std::string out = json ? json : "";
  m->free_text(json);
  return out;
}

const char* kClinicalSource = R"(
CREATE TABLE patients (subject_id INT PRIMARY KEY, gender VARCHAR(1), dob DATE);
COMMENT ON TABLE patients IS 'Every patient in the database: gender and date of birth.';
CREATE TABLE admissions (hadm_id INT PRIMARY KEY, subject_id INT REFERENCES patients(subject_id),
  admittime DATE, dischtime DATE, admission_type VARCHAR(20));
COMMENT ON TABLE admissions IS 'Each hospital admission (visit) of a patient: start and end.';
CREATE TABLE labevents (subject_id INT REFERENCES patients(subject_id),
  hadm_id INT REFERENCES admissions(hadm_id), itemid INT, valuenum DECIMAL, valueuom VARCHAR(10),
  charttime DATE);
COMMENT ON TABLE labevents IS 'Laboratory test results and measurements for a patient.';
)";

const char* kClinicalTarget = R"(
CREATE TABLE person (person_id INT PRIMARY KEY, gender_source_value VARCHAR(1), birth_datetime DATE);
COMMENT ON TABLE person IS 'Each patient: demographic information, gender and birth.';
CREATE TABLE visit_occurrence (visit_occurrence_id INT PRIMARY KEY, person_id INT,
  visit_start_date DATE, visit_end_date DATE, visit_source_value VARCHAR(20));
COMMENT ON TABLE visit_occurrence IS 'A hospital visit or admission of a person: start and end.';
CREATE TABLE measurement (measurement_id INT PRIMARY KEY, person_id INT, visit_occurrence_id INT,
  value_as_number DECIMAL, unit_source_value VARCHAR(10), measurement_datetime DATE);
COMMENT ON TABLE measurement IS 'Measurements such as laboratory tests and vital signs.';
CREATE TABLE drug_exposure (drug_exposure_id INT PRIMARY KEY, person_id INT, quantity DECIMAL,
  drug_source_value VARCHAR(50));
COMMENT ON TABLE drug_exposure IS 'Medicines given to a person.';
)";

const char* kTableStageDefaults =
    R"({"wordvec_weight":0.5,"flood_weight":0.5,"flood_iterations":3,"top_tables":1,)"
    R"("column_weight":2,"key_weight":1,"outside_penalty":4})";

// Table-level text ranks the corresponding target table first for each source table;
// columns are matched only there, several sources per target allowed.
TEST_F(TableMatch, TableStageRanksTheCorrespondingTableFirst) {
  Make(TableStageConfig(kTableStageDefaults));
  const MatchResult r = MatchSchemas(kClinicalSource, kClinicalTarget, 30);
  ASSERT_TRUE(r);
  const size_t lab = ColumnIndex(m_, r, "labevents.valuenum");
  const size_t adm = ColumnIndex(m_, r, "admissions.admittime");
  const size_t pat = ColumnIndex(m_, r, "patients.gender");
  // table_stage is the relative gap of the pair's tables: 0 for the source table's best.
  EXPECT_FLOAT_EQ(SignalOf(m_, self_, r, lab, "measurement.value_as_number", "table_stage"), 0.f);
  EXPECT_LT(SignalOf(m_, self_, r, lab, "drug_exposure.quantity", "table_stage"), 0.f);
  EXPECT_FLOAT_EQ(SignalOf(m_, self_, r, adm, "visit_occurrence.visit_start_date", "table_stage"), 0.f);
  EXPECT_FLOAT_EQ(SignalOf(m_, self_, r, pat, "person.gender_source_value", "table_stage"), 0.f);
  // Only the top table (top_tables 1) may match; the others are marked outside.
  EXPECT_EQ(SignalOf(m_, self_, r, lab, "drug_exposure.quantity", "outside_tables"), 1.f);
  EXPECT_EQ(SignalOf(m_, self_, r, lab, "measurement.value_as_number", "outside_tables"), 0.f);
  for (size_t i = 0; i < m_->result_column_count(r); ++i) {
    size_t k = 0;
    ASSERT_EQ(m_->result_column(r, i, nullptr, &k), EK_OK);
    for (size_t j = 0; j < k; ++j) {
      ek_matcher_candidate c{};
      c.struct_size = sizeof c;
      ASSERT_EQ(m_->result_candidate(r, i, j, &c), EK_OK);
      ek_matcher_column t{};
      t.struct_size = sizeof t;
      ASSERT_EQ(m_->result_target(r, c.target_index, &t), EK_OK);
      if (c.is_match) {
        EXPECT_EQ(SignalOf(m_, self_, r, i, t.id, "outside_tables"), 0.f) << t.id;
      }
    }
  }
  // Both person_id-like keys of labevents and admissions may match person_id targets of
  // their own tables: no global one-to-one.
  EXPECT_EQ(Best(r, ColumnIndex(m_, r, "labevents.charttime")), "measurement.measurement_datetime");
  // The explanation names the table evidence.
  const std::string json = ResultJson(m_, r);
  EXPECT_NE(json.find("\"table_evidence\":{\"rank\":1,"), std::string::npos);
  EXPECT_NE(json.find("\"tfidf\":"), std::string::npos);
  EXPECT_NE(json.find("\"flooding\":"), std::string::npos);
}

// Similarity flooding over the key graph: a table whose text says nothing takes the
// target table whose neighbours correspond to its own.
TEST_F(TableMatch, TableStageFloodingMovesATable) {
  const char* source = R"(
CREATE TABLE clients (cid INT PRIMARY KEY, customer_name VARCHAR(50), customer_email VARCHAR(50));
CREATE TABLE records (rid INT PRIMARY KEY, cid INT REFERENCES clients(cid), qq DECIMAL);
)";
  const char* target = R"(
CREATE TABLE station (station_id INT PRIMARY KEY, station_label VARCHAR(50));
CREATE TABLE reading (reading_id INT PRIMARY KEY, station_id INT REFERENCES station(station_id), val DECIMAL);
CREATE TABLE customer (customer_id INT PRIMARY KEY, customer_name VARCHAR(50), customer_email VARCHAR(50));
CREATE TABLE sale (sale_id INT PRIMARY KEY, customer_id INT REFERENCES customer(customer_id), amt DECIMAL);
)";
  auto outside = [&](const std::string& flood_weight, const std::string& target_id) {
    Make(TableStageConfig(R"({"flood_weight":)" + flood_weight + R"(,"top_tables":1})"));
    const MatchResult r = MatchSchemas(source, target, 20);
    return SignalOf(m_, self_, r, ColumnIndex(m_, r, "records.qq"), target_id, "outside_tables");
  };
  // Text alone does not put sale first for records (their words have nothing in common).
  EXPECT_EQ(outside("0", "sale.amt"), 1.f);
  // With flooding, records -> clients ~ sale -> customer puts sale first.
  EXPECT_EQ(outside("0.5", "sale.amt"), 0.f);
  EXPECT_EQ(outside("0.5", "reading.val"), 1.f);
}

// Key-naming: a key column names the table it belongs to or references, declared
// (subject_id -> patients) or by its name (person_id -> person, not declared).
TEST_F(TableMatch, TableStageKeyNamingLinksKeysOfCorrespondingTables) {
  Make(TableStageConfig(kTableStageDefaults));
  const MatchResult r = MatchSchemas(kClinicalSource, kClinicalTarget, 30);
  ASSERT_TRUE(r);
  const size_t subj = ColumnIndex(m_, r, "labevents.subject_id");
  // patients ~ person is the best pair of the tables the two keys name; patients ~
  // visit_occurrence is behind.
  EXPECT_GT(SignalOf(m_, self_, r, subj, "measurement.person_id", "key_named"), 0.99f);
  EXPECT_LT(SignalOf(m_, self_, r, subj, "measurement.visit_occurrence_id", "key_named"), 0.5f);
  EXPECT_EQ(SignalOf(m_, self_, r, ColumnIndex(m_, r, "labevents.valuenum"), "measurement.person_id",
                     "key_named"), 0.f);  // no key
  EXPECT_EQ(Best(r, subj), "measurement.person_id");
}

// Key propagation (keys.h): a decided pair of keys (title.tconst = film.tconst) carries to
// the keys that stand for the same row in keyless tables (title_rating.tconst,
// film_actor.film_ref), not to a reference from a table with its own key
// (inventory.film_ref). title.tconst is declared as a primary key that others refer to
// ("foreign_keys"), which must still name its own table.
const char* kKeySource = R"({
 "title": {"table": "title", "columns": {
   "tconst": {"name": "tconst", "is_primary_key": true, "foreign_keys": ["title_rating.tconst"]},
   "primary_title": {"name": "primary_title"}}},
 "title_rating": {"table": "title_rating", "columns": {
   "tconst": {"name": "tconst", "is_foreign_key": true, "linked_entry": "title.tconst"},
   "average_rating": {"name": "average_rating"}}}})";
const char* kKeyTarget = R"(
CREATE TABLE film (tconst INT PRIMARY KEY, primary_title VARCHAR(50));
CREATE TABLE film_actor (film_ref INT REFERENCES film(tconst), actor_name VARCHAR(50));
CREATE TABLE inventory (inventory_id INT PRIMARY KEY, film_ref INT REFERENCES film(tconst), shelf VARCHAR(9));
)";

// Whether source `src` matches target `tgt` in r, and the candidate's JSON object.
bool Matches(const ek_matcher_ext* m, ek_matcher_result* r, size_t src, const std::string& tgt) {
  for (const RankedCandidate& rc : CandidatesOf(m, r, src))
    if (tgt == rc.target.id) return rc.candidate.is_match != 0;
  return false;
}

TEST_F(TableMatch, KeyPropagationFollowsKeylessTablesOnly) {
  auto run = [&](const std::string& propagate) {
    Make(TableStageConfig(R"({"top_tables":3,"column_weight":0,"propagate_keys":)" + propagate + "}"));
    return MatchSchemas(kKeySource, kKeyTarget, [](ek_matcher_options& o) {
      o.top_k = 3;
      o.max_matches = 1;
    });
  };
  size_t title = 0, rating = 0;
  {
    const MatchResult r = run("0");
    ASSERT_TRUE(r);
    title = ColumnIndex(m_, r, "title.tconst");
    rating = ColumnIndex(m_, r, "title_rating.tconst");
    EXPECT_TRUE(Matches(m_, r, title, "film.tconst"));
    EXPECT_FALSE(Matches(m_, r, title, "film_actor.film_ref"));
    EXPECT_EQ(ResultJson(m_, r).find("key_propagation"), std::string::npos);
  }
  const MatchResult r = run("1");
  ASSERT_TRUE(r);
  for (size_t s : {title, rating}) {
    EXPECT_TRUE(Matches(m_, r, s, "film.tconst")) << s;
    EXPECT_TRUE(Matches(m_, r, s, "film_actor.film_ref")) << s;  // keyless: the film's identity
    EXPECT_FALSE(Matches(m_, r, s, "inventory.film_ref")) << s;  // a reference from an inventory row
  }
  // The explanation names the decided key pair the match follows from.
  EXPECT_NE(ResultJson(m_, r).find(R"("key_propagation":"key title.tconst = film.tconst")"), std::string::npos);
}

// Key agreement (TableStageParams::key_agreement): rating's best table is studio (both
// hold an average rating and a vote count), but its tconst names title, whose best table
// is film: the key pair rating.tconst = studio.tconst is never decided, however its names
// agree, and its explanation says why.
TEST_F(TableMatch, KeyAgreementRefusesKeysOfNonCorrespondingTables) {
  const char* source = R"(
CREATE TABLE title (tconst INT PRIMARY KEY, primary_title VARCHAR(50));
CREATE TABLE rating (tconst INT REFERENCES title(tconst), average_rating DECIMAL, num_votes INT);
)";
  const std::string target = std::string(kKeyTarget) +
                             "CREATE TABLE studio (tconst INT PRIMARY KEY, average_rating DECIMAL, num_votes INT);\n";
  auto decided = [&](const std::string& agreement, std::string* json) {
    Make(TableStageConfig(R"({"top_tables":1,"column_weight":0,"key_agreement":)" + agreement + "}"));
    const MatchResult r = MatchSchemas(source, target, 4);
    const size_t rating = ColumnIndex(m_, r, "rating.tconst");
    EXPECT_EQ(SignalOf(m_, self_, r, rating, "studio.tconst", "outside_tables"), 0.f);
    const bool match = Matches(m_, r, rating, "studio.tconst");
    *json = ResultJson(m_, r);
    return match;
  };
  std::string json;
  EXPECT_TRUE(decided("0", &json));
  EXPECT_EQ(json.find("named_tables_agree"), std::string::npos);
  EXPECT_FALSE(decided("1", &json));
  EXPECT_NE(json.find(R"("named_tables_agree":false)"), std::string::npos);
}

// ---- Hints (plugins/table_match/hints.h) --------------------------------------------------
std::string WriteHints(const std::string& json) {
  const std::string path = std::filesystem::temp_directory_path() /
                           ("tm_hints_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << json;
  return path;
}

// A table link moves a source table to the linked target table and a synonym to the
// synonymous column; the explanation names both.
TEST_F(TableMatch, HintsChangeTheAnswerAndAreNamed) {
  const char* source = "CREATE TABLE clients (client_surname VARCHAR(50), client_city VARCHAR(50));";
  const char* target = R"(
CREATE TABLE buyer (buyer_nickname VARCHAR(50), buyer_family VARCHAR(50), buyer_town VARCHAR(50));
CREATE TABLE client_archive (client_nickname VARCHAR(50), client_family VARCHAR(50), client_city VARCHAR(50));
)";
  auto best = [&](const std::string& hints, std::string* json) {
    Make(TableStageConfig(R"({"top_tables":1})",
                          hints.empty() ? "" : R"(,"hints":")" + WriteHints(hints) + "\""));
    const MatchResult r = MatchSchemas(source, target, 6);
    const std::string b = Best(r, 0);  // clients.client_surname
    if (json) *json = ResultJson(m_, r);
    return b;
  };
  EXPECT_EQ(best("", nullptr).rfind("client_archive.", 0), 0u);
  std::string json;
  EXPECT_EQ(best(R"({"table_links":[["clients","buyer"]],"synonyms":[["surname","family"]]})", &json),
            "buyer.buyer_family");
  EXPECT_NE(json.find("\"hints\":[\"table link clients -> buyer\",\"synonym surname = family\"]"),
            std::string::npos) << json;
  EXPECT_NE(json.find("\"hint\":true"), std::string::npos);
}

TEST_F(TableMatch, BadHintsFileIsAClearError) {
  ek_instance* inst = nullptr;
  const std::string cfg = R"({"hints":")" + WriteHints(R"({"synonym":[["a","b"]]})") + "\"}";
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", cfg.c_str(), &inst), EK_ERR_PARSE);
  EXPECT_NE(std::string(ek_last_error()).find("hints: unknown key 'synonym'"), std::string::npos)
      << ek_last_error();
  const std::string one = R"({"hints":")" + WriteHints(R"({"synonyms":[["alone"]]})") + "\"}";
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", one.c_str(), &inst), EK_ERR_PARSE);
  EXPECT_NE(std::string(ek_last_error()).find("at least two words"), std::string::npos);
  const std::string missing = R"({"hints":"/nonexistent/hints.json"})";
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", missing.c_str(), &inst), EK_ERR_IO);
  EXPECT_NE(std::string(ek_last_error()).find("cannot read hints file '/nonexistent/hints.json': No such file"),
            std::string::npos) << ek_last_error();
  // Malformed JSON is explained by the host, byte and all, not by simdjson's generic words.
  const std::string broken = R"({"hints":")" + WriteHints(R"({"synonyms" [["a","b"]]})") + "\"}";
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", broken.c_str(), &inst), EK_ERR_PARSE);
  EXPECT_NE(std::string(ek_last_error()).find("hints: byte 12: expected ':'"), std::string::npos)
      << ek_last_error();
  const std::string array = R"({"hints":")" + WriteHints("[]") + "\"}";
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", array.c_str(), &inst), EK_ERR_PARSE);
  EXPECT_NE(std::string(ek_last_error()).find("hints: not a JSON object"), std::string::npos) << ek_last_error();
}

TEST_F(TableMatch, BadModelAndAbbreviationsJsonNameTheByte) {
  const std::string model = WriteHints(R"({"variants": [}])");  // any temp file will do
  ek_instance* inst = nullptr;
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", (R"({"model":")" + model + "\"}").c_str(), &inst),
            EK_ERR_PARSE);
  EXPECT_NE(std::string(ek_last_error()).find("model JSON: byte 14:"), std::string::npos) << ek_last_error();
  EXPECT_EQ(ek_instance_create(ctx_, "embedkit.table_match", R"({"model":"/nonexistent/m.json"})", &inst),
            EK_ERR_IO);
  EXPECT_NE(std::string(ek_last_error()).find("cannot read model file '/nonexistent/m.json': No such file"),
            std::string::npos) << ek_last_error();
  Make("{}");
  const std::string bad = R"({"dob" "date of birth"})";
  EXPECT_EQ(m_->add_abbreviations(self_, bad.data(), bad.size()), EK_ERR_PARSE);
  EXPECT_NE(Error().find("byte 7: expected ':'"), std::string::npos) << Error();
}

// LLMatch layout: "is_foreign_key" + "linked_entry" make a foreign key with its table.
TEST_F(TableMatch, LinkedEntryIsAReference) {
  const MatchResult r = MatchSchemas(R"({
    "a": {"table": "a", "columns": {"id": {"name": "id", "is_primary_key": true},
                                    "b_id": {"name": "b_id", "is_foreign_key": true, "linked_entry": "b.id"}}},
    "b": {"table": "b", "columns": {"id": {"name": "id", "is_primary_key": true}}}})",
                                     R"({"tables": [
    {"name": "x", "columns": [{"name": "id", "primary_key": true}, {"name": "y_id", "references": "y.id"}]},
    {"name": "y", "columns": [{"name": "id", "primary_key": true}]}]})",
                                     3);
  ASSERT_TRUE(r);
  // Source column 1 is a.b_id (columns keep their load order).
  ek_matcher_column c{};
  c.struct_size = sizeof c;
  ASSERT_EQ(m_->result_column(r, 1, &c, nullptr), EK_OK);
  ASSERT_STREQ(c.id, "a.b_id");
  EXPECT_GT(SignalOf(m_, self_, r, 1, "x.y_id", "ref_context"), 0.f);
}

// Run-together identifiers quoted in descriptions are still split when a word-vector
// dictionary is available ("charttime" -> chart time).
TEST_F(TableMatch, RunTogetherNamesSplitEvenWhenQuoted) {
  const MatchResult r = MatchSchemas(R"({"tables":[{"name":"events","columns":[
    {"name":"charttime","description":"When charted; CHARTTIME is usually close to STORETIME."},
    {"name":"storetime","description":"When stored."}]}]})",
                                     R"({"tables":[{"name":"m","columns":[
    {"name":"chart_time"},{"name":"store_time"},{"name":"value"}]}]})",
                                     3);
  ASSERT_TRUE(r);
  if (SignalOf(m_, self_, r, 0, "m.chart_time", "wv_name") < -1e8f) {
    GTEST_SKIP() << "no word vectors (scripts/setup.sh): no dictionary to segment against";
  }
  EXPECT_EQ(SignalOf(m_, self_, r, 0, "m.chart_time", "exact_name"), 1.f);
  EXPECT_EQ(SignalOf(m_, self_, r, 1, "m.store_time", "exact_name"), 1.f);
  EXPECT_EQ(Best(r, 0), "m.chart_time");
}

// match_fraction: only the top share of source columns (by best score) get matches;
// an explicit threshold replaces the rule; out-of-range values are rejected.
TEST_F(TableMatch, MatchFractionCutsByBestScore) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tm_fraction_" + std::to_string(::getpid()) + ".json")).string();
  auto write_model = [&](const char* fraction) {
    std::ofstream(path) << R"({"variants":[{"name":"m","signals":["name_tok"],"weights":[6],"bias":-3,)"
                        << R"("threshold":0.01,"max_matches":1,"match_fraction":)" << fraction << "}]}";
  };
  write_model("0.5");
  Make(R"({"model":")" + path + R"("})");
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, R"({"tables":[{"name":"t","columns":[{"name":"alpha"},
    {"name":"beta"},{"name":"gamma"},{"name":"delta_x"}]}]})"), EK_OK) << Error();
  ASSERT_EQ(Load(EK_MATCHER_TARGET, R"({"tables":[{"name":"u","columns":[{"name":"alpha"},
    {"name":"beta"},{"name":"gamma_y"},{"name":"omega"}]}]})"), EK_OK) << Error();
  auto matched = [&](float threshold) {
    ek_matcher_options o;
    m_->options_init(&o);
    o.threshold = threshold;
    ek_matcher_result* r = nullptr;
    EXPECT_EQ(m_->match(self_, &o, &r), EK_OK) << Error();
    size_t n = 0;
    for (size_t i = 0; i < m_->result_column_count(r); ++i) {
      bool match = false;
      Best(r, i, nullptr, &match);
      n += match ? 1 : 0;
    }
    m_->result_free(r);
    return n;
  };
  EXPECT_EQ(matched(-1), 2u);  // 4 sources x 0.5: alpha and beta (exact names)
  EXPECT_EQ(matched(0), 4u);   // an explicit threshold: every best candidate
  write_model("0");
  ek_instance* bad = nullptr;
  EXPECT_NE(ek_instance_create(ctx_, "embedkit.table_match", (R"({"model":")" + path + R"("})").c_str(), &bad),
            EK_OK);
  ek_instance_free(bad);
  std::filesystem::remove(path);
}

TEST_F(TableMatch, BadInputGivesClearErrors) {
  struct Case {
    const char* text;
    uint32_t fmt;
    ek_status status;
    const char* needle;
  } cases[] = {
      {"CREATE TABLE t (a INT, b VARCHAR(10)", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "line 1"},
      {"CREATE TABLE t (a INT, a TEXT);", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_ALREADY_EXISTS, "duplicate column 'a'"},
      {"CREATE TABLE t ();", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "empty column list"},
      {"CREATE TABLE t (a INT COMMENT 'x);", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "unterminated string"},
      {"/* never closed\nCREATE TABLE t (a INT);", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "unterminated /*"},
      {"CREATE TABLE t (a INT); CREATE TABLE t (b INT);", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_ALREADY_EXISTS, "defined again"},
      {"CREATE TABLE (a INT);", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "expected a table name"},
      {"COMMENT ON COLUMN t.a 'x';", EK_MATCHER_FORMAT_SQL_DDL, EK_ERR_PARSE, "expected IS"},
      {"{\"tables\": [", EK_MATCHER_FORMAT_SCHEMA_JSON, EK_ERR_PARSE, "malformed JSON"},
      {"{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"a\"},{\"name\":\"A\"}]}]}",
       EK_MATCHER_FORMAT_SCHEMA_JSON, EK_ERR_ALREADY_EXISTS, "duplicate column"},
      {"[]", EK_MATCHER_FORMAT_GLOSSARY_JSON, EK_ERR_INVALID_ARGUMENT, "no entries"},
      {"id,label,description\n", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_INVALID_ARGUMENT, "no entries"},
      {"", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_INVALID_ARGUMENT, "empty"},
      {"id,label\n1,a,b\n", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_PARSE, "line 2: 3 fields"},
      {"id,label\n1,\"open\n", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_PARSE, "unterminated quoted"},
      {"id,descr\n1,x\n", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_PARSE, "no label column"},
      {"id,label\n1,a\n1,b\n", EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_ERR_ALREADY_EXISTS, "duplicate glossary id"},
  };
  for (const Case& c : cases) {
    ek_status s = Load(EK_MATCHER_TARGET, c.text, c.fmt);
    EXPECT_EQ(s, c.status) << c.text << " -> " << Error();
    EXPECT_NE(Error().find(c.needle), std::string::npos) << c.text << " -> " << Error();
    size_t n = 1;
    m_->count(self_, EK_MATCHER_TARGET, &n);
    EXPECT_EQ(n, 0u) << "a failed load must leave the side unchanged: " << c.text;
  }
  // Deep nesting is bounded.
  std::string deep = "CREATE TABLE t (a INT CHECK " + std::string(200, '(') + std::string(200, ')') + ");";
  EXPECT_EQ(Load(EK_MATCHER_SOURCE, deep, EK_MATCHER_FORMAT_SQL_DDL), EK_ERR_PARSE);
  EXPECT_NE(Error().find("nested too deeply"), std::string::npos) << Error();
  // Matching with an empty side is refused.
  ek_matcher_result* r = nullptr;
  EXPECT_EQ(m_->match(self_, nullptr, &r), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Error().find("no source columns"), std::string::npos) << Error();
}

TEST_F(TableMatch, LimitsBoundHugeInput) {
  Make(R"({"max_columns": 100, "max_input_bytes": 100000, "max_pairs": 50})");
  std::string ddl = "CREATE TABLE t (";
  for (int i = 0; i < 150; ++i) ddl += (i ? ", c" : "c") + std::to_string(i) + " INT";
  ddl += ");";
  EXPECT_EQ(Load(EK_MATCHER_SOURCE, ddl), EK_ERR_LIMIT);
  EXPECT_NE(Error().find("max_columns"), std::string::npos) << Error();
  EXPECT_EQ(Load(EK_MATCHER_SOURCE, std::string(200000, ' ')), EK_ERR_LIMIT);
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, "CREATE TABLE t (a INT, b INT, c INT, d INT, e INT, f INT, g INT, h INT);"), EK_OK);
  ASSERT_EQ(Load(EK_MATCHER_TARGET, "id,label\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n7,g\n"), EK_OK);
  ek_matcher_result* r = nullptr;
  EXPECT_EQ(m_->match(self_, nullptr, &r), EK_ERR_LIMIT);
  EXPECT_NE(Error().find("max_pairs"), std::string::npos) << Error();
}

// Deterministic LLM hooks: context names the glossary term; the judge says yes only
// for one pair.
ek_status Context(void*, const ek_matcher_column* c, char* out, size_t cap, size_t* len) {
  std::string t = std::string(c->name) == "zq1" ? "account balance current" : "";
  *len = std::min(t.size(), cap);
  std::memcpy(out, t.data(), *len);
  return EK_OK;
}
ek_status Judge(void* user, const ek_matcher_column* c, const ek_matcher_column* cand, float* p) {
  ++*static_cast<int*>(user);
  *p = (std::string(c->name) == "zq2" && std::string(cand->id) == "G3") ? 1.f : 0.f;
  return EK_OK;
}

TEST_F(TableMatch, LlmHooksAddContextAndJudge) {
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, "CREATE TABLE x (zq1 INT, zq2 INT);"), EK_OK);
  ASSERT_EQ(Load(EK_MATCHER_TARGET, kGlossary), EK_OK);
  int calls = 0;
  ek_matcher_llm_hooks h{};
  h.struct_size = sizeof h;
  h.user_data = &calls;
  h.generate_context = Context;
  h.judge = Judge;
  h.judge_top_n = 5;
  h.judge_weight = 0.9f;
  ASSERT_EQ(m_->set_llm_hooks(self_, &h), EK_OK);
  ek_matcher_result* r = nullptr;
  ASSERT_EQ(m_->match(self_, nullptr, &r), EK_OK) << Error();
  EXPECT_EQ(Best(r, 0), "G5");  // from the generated context
  EXPECT_EQ(Best(r, 1), "G3");  // from the judge
  EXPECT_EQ(calls, 10);
  ek_matcher_candidate c{};
  c.struct_size = sizeof c;
  ASSERT_EQ(m_->result_candidate(r, 1, 0, &c), EK_OK);
  EXPECT_EQ(c.judge_probability, 1.f);
  m_->result_free(r);
  // Without hooks (use_llm = 0) the judge is not asked.
  ek_matcher_options o;
  m_->options_init(&o);
  o.use_llm = 0;
  calls = 0;
  ASSERT_EQ(m_->match(self_, &o, &r), EK_OK);
  EXPECT_EQ(calls, 0);
  m_->result_free(r);
  // A judge answering outside [0,1] fails the match.
  h.judge = [](void*, const ek_matcher_column*, const ek_matcher_column*, float* p) -> ek_status {
    *p = 2.f;
    return EK_OK;
  };
  ASSERT_EQ(m_->set_llm_hooks(self_, &h), EK_OK);
  EXPECT_EQ(m_->match(self_, nullptr, &r), EK_ERR_PLUGIN);
  EXPECT_NE(Error().find("outside [0, 1]"), std::string::npos) << Error();
}

TEST_F(TableMatch, GlossaryVectorsCachedInStore) {
  const std::string db = (std::filesystem::temp_directory_path() / "tm_cache_test.db").string();
  std::filesystem::remove(db);
  Make(R"({"cache_store": ")" + db + R"("})");
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, kDdl), EK_OK);
  ASSERT_EQ(Load(EK_MATCHER_TARGET, kGlossary), EK_OK);
  ek_matcher_result* r1 = nullptr;
  ek_matcher_result* r2 = nullptr;
  ASSERT_EQ(m_->match(self_, nullptr, &r1), EK_OK) << Error();
  ASSERT_EQ(m_->match(self_, nullptr, &r2), EK_OK) << Error();
  char* j1 = nullptr;
  char* j2 = nullptr;
  m_->result_json(r1, &j1);
  m_->result_json(r2, &j2);
  EXPECT_EQ(std::string(j1).find("read from the cache"), std::string::npos);
  EXPECT_NE(std::string(j2).find("read from the cache"), std::string::npos);
  for (size_t i = 0; i < 4; ++i) {
    float s1, s2;
    EXPECT_EQ(Best(r1, i, &s1), Best(r2, i, &s2));
    EXPECT_FLOAT_EQ(s1, s2);
  }
  m_->free_text(j1);
  m_->free_text(j2);
  m_->result_free(r1);
  m_->result_free(r2);
  ek_store* st = nullptr;
  ASSERT_EQ(ek_store_open(ctx_, db.c_str(), nullptr, &st), EK_OK);
  ek_collection_info* infos = nullptr;
  size_t n = 0;
  ASSERT_EQ(ek_store_list_collections(st, &infos, &n), EK_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(infos[0].count, 5u);
  ek_collection_infos_free(infos, n);
  ek_store_free(st);
  std::filesystem::remove(db);
}

// ---- Real data (../shared/data/schema) ----------------------------------------------------
struct Metrics {
  double f1 = 0, hit1 = 0, hit5 = 0;
};

// Loads the LLMatch gold (blank lines, mixed case) and scores the 1:n decisions and
// ranking, as `embedkit match eval` does.
Metrics Evaluate(TableMatch& t, const ek_matcher_ext* m, void* self, const std::string& gold_path) {
  std::set<std::pair<std::string, std::string>> gold;
  std::istringstream in(Read(gold_path));
  std::string line;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    if (f.size() >= 4) gold.emplace(lower(f[0] + "." + f[1]), lower(f[2] + "." + f[3]));
  }
  (void)t;
  ek_matcher_options o;
  m->options_init(&o);
  o.top_k = 5;
  ek_matcher_result* r = nullptr;
  EXPECT_EQ(m->match(self, &o, &r), EK_OK) << m->last_error(self);
  if (!r) return {};
  size_t tp = 0, pred = 0, ranked = 0, h1 = 0, h5 = 0;
  for (size_t i = 0; i < m->result_column_count(r); ++i) {
    ek_matcher_column s{};
    s.struct_size = sizeof s;
    size_t k = 0;
    m->result_column(r, i, &s, &k);
    bool has_gold = false;
    for (const auto& g : gold) has_gold = has_gold || g.first == lower(s.id);
    size_t first = 0;
    const std::vector<RankedCandidate> candidates = CandidatesOf(m, r, i);
    for (size_t j = 0; j < candidates.size(); ++j) {
      const ek_matcher_candidate& c = candidates[j].candidate;
      const bool ok = gold.count({lower(s.id), lower(candidates[j].target.id)}) > 0;
      if (c.is_match) {
        ++pred;
        tp += ok;
      }
      if (ok && !first) first = j + 1;
    }
    if (has_gold) {
      ++ranked;
      h1 += first == 1;
      h5 += first >= 1;
    }
  }
  m->result_free(r);
  Metrics out;
  const double p = pred ? double(tp) / double(pred) : 0, rc = double(tp) / double(gold.size());
  out.f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
  out.hit1 = double(h1) / double(ranked);
  out.hit5 = double(h5) / double(ranked);
  return out;
}

TEST_F(TableMatch, RealDataBankAndImdb) {
  const std::string dir = EK_SCHEMA_DATA_DIR;
  if (!std::filesystem::exists(dir + "/llmatch")) GTEST_SKIP() << dir << " is absent: real-data metrics not checked";
  const std::string S = dir + "/llmatch/schemas/", G = dir + "/llmatch/gold/";
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, Read(S + "bank1.sql")), EK_OK) << Error();
  ASSERT_EQ(Load(EK_MATCHER_SOURCE, Read(S + "bank1-comment.sql")), EK_OK) << Error();
  ASSERT_EQ(Load(EK_MATCHER_TARGET, Read(S + "bank2.sql")), EK_OK) << Error();  // repeats 'account'
  ASSERT_EQ(Load(EK_MATCHER_TARGET, Read(S + "bank2-comment.sql")), EK_OK) << Error();
  Metrics bank = Evaluate(*this, m_, self_, G + "BANK1-BANK2-ground_truth.csv");
  // Floors a little under the level measured with the shipped model (BANK F1 0.65: key
  // propagation adds Maintain/Hold_By.Account_No = account.account_id, BANK's link tables
  // having no counterpart; Hit@1 0.88; IMDB F1 0.57, Hit@1 0.63, Hit@5 0.69), so a regression fails; not the
  // issue's targets, several of which are not met (docs/performance.md).
  EXPECT_GE(bank.hit5, 0.9) << "bank hit5";
  EXPECT_GE(bank.hit1, 0.8) << "bank hit1";
  EXPECT_GE(bank.f1, 0.62) << "bank f1";
  m_->clear(self_, EK_MATCHER_SOURCE);
  m_->clear(self_, EK_MATCHER_TARGET);
  bool wordvec = false;
  {
    const MatchResult r = MatchSchemas(Read(S + "imdb-schema.json"), Read(S + "sakila-schema.json"));
    ASSERT_TRUE(r);
    wordvec = SignalOf(m_, self_, r, 0, Best(r, 0), "wv_name") > -1e8f;
  }
  Metrics imdb = Evaluate(*this, m_, self_, G + "IMDB-SAKILA-ground_truth.csv");
  EXPECT_GE(imdb.hit1, 0.55) << "imdb hit1";
  EXPECT_GE(imdb.hit5, 0.6) << "imdb hit5";
  // Where no word vectors open (the WASM tests) the model's lexical variant runs: IMDB
  // F1 0.43 there (0.57 with GloVe).
  EXPECT_GE(imdb.f1, wordvec ? 0.50 : 0.40)
      << "imdb f1 (published COMA 0.15, Similarity Flooding 0.15), word vectors: " << wordvec;
}

// MIMIC-III -> OMOP with the model trained without MIMIC (leave-one-group-out,
// train/models/heldout_mimic.json): the table stage must keep picking the right OMOP
// tables. Floors a little under the measured held-out figures (Hit@1 0.45, Hit@5 0.72,
// F1 0.31 in docs/performance.md; before the table stage 0.31 / 0.49 / 0.14).
TEST_F(TableMatch, RealDataMimicHeldOut) {
  const std::string dir = EK_SCHEMA_DATA_DIR;
  if (!std::filesystem::exists(dir + "/llmatch")) GTEST_SKIP() << dir << " is absent: real-data metrics not checked";
  Make(std::string(R"({"model":")") + EK_TM_MODELS_DIR + R"(/heldout_mimic.json"})");
  const std::string S = dir + "/llmatch/schemas/", G = dir + "/llmatch/gold/";
  bool wordvec = false;
  {
    const MatchResult r = MatchSchemas(Read(S + "mimic_iii-schema.json"), Read(S + "omop-schema.json"));
    ASSERT_TRUE(r);
    wordvec = SignalOf(m_, self_, r, 0, Best(r, 0), "wv_name") > -1e8f;
  }
  if (!wordvec) GTEST_SKIP() << "no word vectors: the held-out figures are for the full variant";
  Metrics mimic = Evaluate(*this, m_, self_, G + "MIMIC_III-OMOP-ground_truth.csv");
  EXPECT_GE(mimic.hit1, 0.40) << "mimic hit1";
  EXPECT_GE(mimic.hit5, 0.65) << "mimic hit5";
  EXPECT_GE(mimic.f1, 0.27) << "mimic f1 (published COMA 0.02, Similarity Flooding 0.02)";
}

}  // namespace
