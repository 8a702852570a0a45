#!/usr/bin/env python3
"""`embedkit match eval`: the whole-target and the table-pair settings (issue 22).

Usage: test_cli_match_eval.py --binary PATH [--data SCHEMA_DIR] [unittest args]

TablePairSetting runs on inline schemas built so that only a restriction to the known
table pair can rank right: a decoy target table repeats the source's column names
exactly. RealData (with --data, the ../shared/data/schema folder; exit 77 without it)
checks both settings on the LLMatch and MIMIC-IV pairs, the CDM v5.3 gold targets the
v5.4 dictionary lacks, and the noisy-oracle judge: F1 falls as its error rate rises and
never passes the bound its candidate lists set.
"""
import argparse
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import TempDir, run, run_json  # noqa: E402

DATA = None
NO_WORDVEC = ["--config", '{"wordvec":"none"}']

SOURCE = {"tables": [{"name": "patients", "columns": [
    {"name": "name", "type": "TEXT", "description": "the patient's full name"},
    {"name": "birth_date", "type": "DATE", "description": "date of birth"}]}]}
TARGET = {"tables": [
    {"name": "person", "columns": [
        {"name": "person_name", "type": "TEXT", "description": "full name of the person"},
        {"name": "birth_datetime", "type": "TIMESTAMP", "description": "when the person was born"},
        {"name": "person_id", "type": "INTEGER", "description": "identifier"}]},
    {"name": "decoy", "columns": [
        {"name": "name", "type": "TEXT", "description": "the patient's full name"},
        {"name": "birth_date", "type": "DATE", "description": "date of birth"}]}]}
GOLD = "patients,name,person,person_name\npatients,birth_date,person,birth_datetime\n"


class TablePairSetting(TempDir):
    def inputs(self):
        return ["-s", self.write("s.json", json.dumps(SOURCE)), "-t", self.write("t.json", json.dumps(TARGET)),
                "-g", self.write("gold.csv", GOLD), *NO_WORDVEC]

    def test_pairs_from_the_gold_rank_only_the_known_table(self):
        r = run_json("match", "eval", *self.inputs())
        self.assertEqual(r["setting"], "whole_target")
        self.assertEqual((r["sources"], r["targets"], r["gold_pairs"]), (2, 5, 2))
        p = r["table_pairs"]
        self.assertEqual((p["pairs_from"], p["pairs"], p["gold_pairs_outside_pairs"]), ("gold", 1, 0))
        # Only person's three columns are candidates: the decoy's identical names are not.
        self.assertEqual(p["candidates_per_pair"], 3.0)
        self.assertEqual((p["ranked_sources"], p["hit1"], p["mrr"]), (2, 1.0, 1.0), p)

    def test_pairs_file(self):
        pairs = self.write("pairs.csv", "source_table,target_table\n# the wrong table on purpose\nPatients,decoy\n")
        p = run_json("match", "eval", *self.inputs(), "--table-pairs", pairs)["table_pairs"]
        self.assertEqual((p["pairs_from"], p["pairs"], p["candidates_per_pair"]), (pairs, 1, 2.0))
        # Both gold pairs join tables the file does not pair: misses, and said so.
        self.assertEqual((p["gold_pairs_outside_pairs"], p["ranked_sources"], p["recall"]), (2, 0, 0.0))

    def test_pairs_file_errors_name_the_line(self):
        for text, message in [("patients,nowhere\n", "pairs.csv:1: no target table 'nowhere' is loaded"),
                              ("source_table,target_table\nnobody,person\n",
                               "pairs.csv:2: no source table 'nobody' is loaded"),
                              ("patients,person,extra\n", "pairs.csv:1: expected 'source_table,target_table'"),
                              ("# nothing\n", "lists no table pairs")]:
            code, _, err = run("match", "eval", *self.inputs(), "--table-pairs", self.write("pairs.csv", text))
            self.assertEqual(code, 1, err)
            self.assertIn(message, err)

    def test_text_report_shows_both_settings(self):
        _, out, _ = run("match", "eval", *self.inputs(), expect=0)
        lines = out.splitlines()
        self.assertTrue(lines[0].split()[:4] == ["setting", "P", "R", "F1"], out)
        self.assertTrue(lines[1].startswith("whole-target "), out)
        self.assertTrue(lines[2].startswith("table-pairs "), out)
        self.assertIn("table-pairs: 1 pairs (from gold), 3.0 candidates per pair", out)

    def test_hooks_run_in_both_settings_and_each_prompt_is_asked_once(self):
        record = self.path("t.jsonl")
        r = run_json("match", "eval", *self.inputs(), "--llm-hooks", "judge", "--llm-command", "echo 0.5",
                     "--llm-record", record)
        # p = 0.5 reads as yes: wrong for the 8 non-gold of 10 judged pairs, 4 of 6 per pair.
        self.assertEqual((r["judge_error"], r["table_pairs"]["judge_error"]), (0.8, 4 / 6), r)
        with open(record, encoding="utf-8") as f:
            prompts = [json.loads(line)["prompt"] for line in f]
        # Whole-target: 2 columns x 5 targets. The pair run reloads the same columns, so
        # its 2 x 3 prompts are the same text and answered from the run's cache.
        self.assertEqual(len(prompts), 10)
        self.assertEqual(len(set(prompts)), 10)

    def test_hints_file_moves_the_table_and_the_report_says_so(self):
        base = run_json("match", "eval", *self.inputs())
        self.assertIsNone(base["hints"])
        # The decoy repeats the source's names, so the whole-target ranking picks it; a
        # table link to person is knowledge the signals lack.
        hints = self.write("hints.json", json.dumps({"table_links": [["patients", "person"]]}))
        r = run_json("match", "eval", *self.inputs(), "--hints", hints)
        self.assertEqual(r["hints"], hints)
        self.assertEqual(base["hit1"], 0.0, base)
        self.assertGreater(r["hit1"], base["hit1"], r)
        self.assertGreater(r["mrr"], base["mrr"], r)
        _, out, _ = run("match", "eval", *self.inputs(), "--hints", hints, expect=0)
        self.assertIn(f"with hints: {hints}", out)

    def test_hints_errors(self):
        code, _, err = run("match", "eval", *self.inputs(), "--hints", self.path("missing.json"))
        self.assertEqual(code, 1, err)
        self.assertIn("cannot read hints file", err)
        self.assertIn("No such file", err)
        code, _, err = run("match", "eval", *self.inputs(), "--hints", self.write("h.json", '{"synonyms" []}'))
        self.assertEqual(code, 1, err)
        self.assertIn("hints: byte 12: expected ':'", err)
        # --config is replaced by the inputs' NO_WORDVEC one; a non-object cannot take the key.
        code, _, err = run("match", "eval", *self.inputs()[:6], "--config", "[1]", "--hints", self.path("x"))
        self.assertEqual(code, 2, err)
        self.assertIn("--config must be a JSON object", err)

    def test_glossary_without_tables_skips_the_pair_setting(self):
        gloss = self.write("g.csv", "id,label,description\nfull_name,Full name,a person's name\n"
                                    "dob,Date of birth,when born\n")
        # A glossary id as the gold target: the "-original" arrow form.
        gold = self.write("g.txt", "patients.name -> full_name\n")
        r = run_json("match", "eval", "-s", self.write("s.json", json.dumps(SOURCE)), "-t", gloss, "-g", gold,
                     *NO_WORDVEC)
        self.assertIn("skipped", r["table_pairs"])
        self.assertIn("glossary", r["table_pairs"]["skipped"])


def data(*parts):
    return os.path.join(DATA, *parts)


def llmatch(sources, targets, gold):
    s = data("llmatch", "schemas")
    return ["-s", ",".join(f"{s}/{f}" for f in sources), "-t", ",".join(f"{s}/{f}" for f in targets),
            "-g", data("llmatch", "gold", gold)]


class RealData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if DATA is None:
            raise unittest.SkipTest("needs --data (../shared/data/schema)")
        cls.imdb = llmatch(["imdb-schema.json"], ["sakila-schema.json"], "IMDB-SAKILA-ground_truth.csv")
        cls.bank = llmatch(["bank1.sql", "bank1-comment.sql"], ["bank2.sql", "bank2-comment.sql"],
                           "BANK1-BANK2-ground_truth.csv")

    def test_mimic4_gold_targets_missing_from_cdm_v54(self):
        m = data("mimic4-omop")
        r = run_json("match", "eval", "-s", f"{m}/docs", "--source-docs-prefix", "mimic_",
                     "-t", data("omop", "OMOP_CDMv5.4_Field_Level.csv"), "-g", f"{m}/ground_truth.csv")
        # CDM v5.3 names the gold uses; v5.4 renamed them (admitted_from_*, discharged_to_*).
        self.assertEqual(r["gold_pairs_not_loaded_list"], [
            "admissions.admission_location -> visit_occurrence.admitting_source_concept_id",
            "admissions.admission_location -> visit_occurrence.admitting_source_value",
            "admissions.discharge_location -> visit_occurrence.discharge_to_concept_id",
            "admissions.discharge_location -> visit_occurrence.discharge_to_source_value"])
        p = r["table_pairs"]
        self.assertEqual((p["pairs"], p["gold_pairs_outside_pairs"]), (9, 4))
        self.assertLess(p["candidates_per_pair"], 30)  # about 24 in the paper, 434 in the whole target
        self.assertGreater(p["ranked_sources"], 0)

    def test_imdb_both_settings(self):
        r = run_json("match", "eval", *self.imdb)
        self.assertEqual((r["gold_pairs"], r["gold_pairs_not_loaded"]), (35, 0))
        p = r["table_pairs"]
        self.assertEqual((p["pairs_from"], p["pairs"], p["gold_pairs_outside_pairs"]), ("gold", 20, 0))
        for k in ("precision", "recall", "f1", "hit1", "hit5", "mrr"):
            self.assertTrue(0 <= p[k] <= 1 and 0 <= r[k] <= 1, (k, r))

    def oracle(self, inputs, epsilon, top_n="5", seed=7):
        return run_json("match", "eval", "-q", *inputs, "--oracle-epsilon", str(epsilon), "--llm-hooks", "judge",
                        "--judge-top-n", top_n, "--oracle-seed", str(seed))

    def test_oracle_judge_f1_rises_as_its_error_falls(self):
        # Mean F1 over three seeds of the oracle's errors (the gold sets are small: one
        # seed's flips can leave F1 where it was).
        for name, inputs in (("IMDB", self.imdb), ("BANK", self.bank)):
            runs = {e: [self.oracle(inputs, e, seed=seed) for seed in ((1,) if e == 0 else (1, 2, 3))]
                    for e in (0, 0.25, 0.5)}
            for setting in ("whole", "pairs"):
                f1 = {e: sum((r if setting == "whole" else r["table_pairs"])["f1"] for r in rs) / len(rs)
                      for e, rs in runs.items()}
                self.assertGreater(f1[0], f1[0.25], (name, setting, f1))
                self.assertGreater(f1[0.25], f1[0.5], (name, setting, f1))
            # The judge's measured error rate is the oracle's.
            self.assertEqual(runs[0][0]["judge_error"], 0.0)
            err = sum(r["judge_error"] for r in runs[0.5]) / 3
            self.assertTrue(0.35 < err < 0.65, (name, err))
            # The bound depends on the offline ranking only; a perfect judge cannot pass it.
            bounds = {r["judge_f1_bound"] for rs in runs.values() for r in rs}
            self.assertEqual(len(bounds), 1, (name, bounds))
            self.assertLessEqual(runs[0][0]["f1"], bounds.pop() + 1e-9)

    def test_oracle_context_helps_as_its_error_falls(self):
        def ctx(e):
            return run_json("match", "eval", "-q", *self.imdb, "--oracle-epsilon", str(e), "--llm-hooks", "context")
        none = run_json("match", "eval", "-q", *self.imdb)
        exact, noisy = ctx(0), ctx(0.5)
        self.assertGreater(exact["hit1"], none["hit1"])
        self.assertGreater(exact["hit1"], noisy["hit1"])
        self.assertNotIn("judge_error", exact)  # no judge ran

    def test_oracle_bound_grows_with_judge_top_n(self):
        b1 = self.oracle(self.imdb, 0, "1")["judge_f1_bound"]
        b10 = self.oracle(self.imdb, 0, "10")["judge_f1_bound"]
        self.assertLess(b1, b10)


def main():
    global DATA
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data")
    args, rest = parser.parse_known_args()
    test_cli.BINARY = os.path.abspath(args.binary)
    if args.data is not None:
        DATA = args.data
        if not os.path.exists(os.path.join(DATA, "llmatch", "gold", "IMDB-SAKILA-ground_truth.csv")):
            print(f"skipped: {DATA}/llmatch not found (../shared/data/schema)")
            sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
