#!/usr/bin/env python3
"""The noisy-oracle curve of table_match's judge hook (docs/table_match.md, issue 22).

Usage: match_oracle_curve.py --cli build/sdk/cli/embedkit [--data ../shared/data/schema]
                             [--seeds 1,2,3] [--datasets imdb,bank,...] [--judge-weights 0.5,1]

For each dataset, `embedkit match eval --oracle-epsilon E --llm-hooks judge
--judge-top-n N --judge-weight W` for E in 0, 0.1, 0.2, 0.3, 0.5, N in 1, 3, 5, 10 and
each W (F1 averaged over the seeds of the oracle's errors), in both evaluation settings,
and the bound a perfect
judge cannot pass: 2R / (1 + R), R = the share of gold pairs among the judged candidates.
Prints Markdown tables. Not a test: cli_MatchEvalRealData asserts the curve's shape.
"""
import argparse
import json
import os
import subprocess

EPSILONS = [0, 0.1, 0.2, 0.3, 0.5]
TOP_N = [1, 3, 5, 10]


def datasets(data):
    s, g, m = f"{data}/llmatch/schemas", f"{data}/llmatch/gold", f"{data}/mimic4-omop"
    return {
        "imdb": ["-s", f"{s}/imdb-schema.json", "-t", f"{s}/sakila-schema.json",
                 "-g", f"{g}/IMDB-SAKILA-ground_truth.csv"],
        "bank": ["-s", f"{s}/bank1.sql,{s}/bank1-comment.sql", "-t", f"{s}/bank2.sql,{s}/bank2-comment.sql",
                 "-g", f"{g}/BANK1-BANK2-ground_truth.csv"],
        "mimic3": ["-s", f"{s}/mimic_iii-schema.json", "-t", f"{s}/omop-schema.json",
                   "-g", f"{g}/MIMIC_III-OMOP-ground_truth.csv"],
        "cprd": ["-s", f"{s}/cprd_gold-schema.json", "-t", f"{s}/omop-schema.json",
                 "-g", f"{g}/CPRD_GOLD-OMOP-ground_truth.csv"],
        "mimic4": ["-s", f"{m}/docs", "--source-docs-prefix", "mimic_", "-t", f"{m}/docs",
                   "--target-docs-prefix", "omop_", "-g", f"{m}/ground_truth.csv"],
    }


def evaluate(cli, inputs, extra=()):
    out = subprocess.run([cli, "match", "eval", "-q", "--json", *inputs, *extra], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def curve(cli, inputs, seeds, weight):
    rows = {}
    for n in TOP_N:
        for e in EPSILONS:
            runs = [evaluate(cli, inputs, ["--oracle-epsilon", str(e), "--llm-hooks", "judge", "--judge-top-n", str(n),
                                           "--judge-weight", weight, "--oracle-seed", str(seed)])
                    for seed in (seeds[:1] if e == 0 else seeds)]
            rows[n, e] = (sum(r["f1"] for r in runs) / len(runs),
                          sum(r["table_pairs"]["f1"] for r in runs) / len(runs),
                          runs[0]["judge_f1_bound"], runs[0]["table_pairs"]["judge_f1_bound"])
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", required=True)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/schema"))
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--datasets", default="imdb,bank,mimic3,cprd,mimic4")
    p.add_argument("--judge-weights", default="0.5,1")
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    sets = datasets(a.data)
    for name in a.datasets.split(","):
        base = evaluate(a.cli, sets[name])
        print(f"\n{name}: F1 without hooks {base['f1']:.2f} whole-target / {base['table_pairs']['f1']:.2f} "
              f"table-pairs; cells: whole-target / table-pairs F1 (mean of {len(seeds)} seeds)\n")
        print("| weight | judge_top_n | " + " | ".join(f"ε={e}" for e in EPSILONS) + " | perfect-judge bound |")
        print("|---|---|" + "---|" * (len(EPSILONS) + 1))
        for w in a.judge_weights.split(","):
            rows = curve(a.cli, sets[name], seeds, w)
            for n in TOP_N:
                cells = [f"{rows[n, e][0]:.2f} / {rows[n, e][1]:.2f}" for e in EPSILONS]
                bound = f"{rows[n, 0][2]:.2f} / {rows[n, 0][3]:.2f}"
                print(f"| {w} | {n} | " + " | ".join(cells) + f" | {bound} |", flush=True)


if __name__ == "__main__":
    main()
