#!/usr/bin/python3
"""Trains the table_match logistic model and evaluates it on held-out datasets.

    python3 tests/plugins/table_match/train/train.py [--cli build/sdk/cli/embedkit]
        [--data ../shared/data/schema] [--out plugins/table_match/model.json]

1. For each dataset, `embedkit match eval --dump-features` writes every (source
   column, target) pair's signals and gold label (a model using every signal with
   zero weights, so the dump does not depend on any trained model).
2. Leave-one-group-out: for each group (mimic = MIMIC-III and MIMIC-IV, cprd, imdb,
   bank) a model is trained on the OTHER groups only and written to
   tests/plugins/table_match/train/models/heldout_<group>.json; the dataset is then
   evaluated with that model through the CLI. MIMIC-III and MIMIC-IV share a group
   because their pairs overlap in meaning (both map MIMIC to OMOP), so neither is
   ever trained on when the other is evaluated.
3. The shipped model (plugins/table_match/model.json) is trained on all datasets;
   the figures reported in docs/performance.md come from the held-out models.

Model: stage 1 is a logistic regression over the base signals (per dataset, the
positives and negatives each carry half of the dataset's weight, and every dataset
weighs the same); stage 2 is a logistic regression over the stage-1 logit z and its
gaps to the best z of the same source column (row) and target (column). The
decision threshold and the number of matches per column are the ones that
maximise the mean F1 over the training datasets. Two variants are written: "full"
(with the word-vector signals) and "lexical" (without, used when no word vectors
are available).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ALL_SIGNALS = ["name_char", "name_tok", "desc_desc", "doc_doc", "name_desc", "desc_name",
               "table_sim", "name_bm25", "tgt_cover", "src_cover", "exact_name",
               "type_compat", "key_match", "wv_name", "wv_desc"]
WV = {"wv_name", "wv_desc"}


def datasets(data):
    L = os.path.join(data, "llmatch")
    S = os.path.join(L, "schemas")
    G = os.path.join(L, "gold")
    M = os.path.join(data, "mimic4-omop")
    return [
        ("mimic3_omop", "mimic", ["-s", f"{S}/mimic_iii-schema.json", "-t", f"{S}/omop-schema.json",
                                  "-g", f"{G}/MIMIC_III-OMOP-ground_truth.csv"]),
        ("cprd_omop", "cprd", ["-s", f"{S}/cprd_gold-schema.json", "-t", f"{S}/omop-schema.json",
                               "-g", f"{G}/CPRD_GOLD-OMOP-ground_truth.csv"]),
        ("imdb_sakila", "imdb", ["-s", f"{S}/imdb-schema.json", "-t", f"{S}/sakila-schema.json",
                                 "-g", f"{G}/IMDB-SAKILA-ground_truth.csv"]),
        ("bank1_bank2", "bank", ["-s", f"{S}/bank1.sql,{S}/bank1-comment.sql",
                                 "-t", f"{S}/bank2.sql,{S}/bank2-comment.sql",
                                 "-g", f"{G}/BANK1-BANK2-ground_truth.csv"]),
        ("mimic4_omop", "mimic", ["-s", f"{M}/docs", "--source-docs-prefix", "mimic_",
                                  "-t", f"{M}/docs", "--target-docs-prefix", "omop_",
                                  "-g", f"{M}/ground_truth.csv"]),
    ]


def run_cli(cli, args, config):
    cmd = [cli, "match", "eval", "-q"] + args + ["--config", json.dumps(config)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out), cmd


def load_dump(path):
    with open(path) as f:
        r = csv.reader(f)
        header = next(r)
        rows = list(r)
    names = header[3:]
    src = np.array([x[0] for x in rows])
    tgt = np.array([x[1] for x in rows])
    y = np.array([int(x[2]) for x in rows], dtype=np.float64)
    X = np.array([[float(v) for v in x[3:]] for x in rows], dtype=np.float64)
    cols = {n: i for i, n in enumerate(names)}
    return {"src": src, "tgt": tgt, "y": y, "X": X[:, [cols[s] for s in ALL_SIGNALS]]}


def logistic(X, y, w, l2=1e-2, iters=50):
    """Weighted L2 logistic regression by Newton's method; returns (coef, bias).
    The penalty is l2 per training row (the signals are collinear: without it the
    weights of the tiny datasets run away)."""
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    beta = np.zeros(A.shape[1])
    reg = l2 * X.shape[0] * np.eye(A.shape[1])
    reg[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(A @ beta, -30, 30)))
        g = A.T @ (w * (p - y)) + reg @ beta
        H = (A * (w * p * (1 - p))[:, None]).T @ A + reg
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], beta[-1]


def weights(ds_list):
    out = []
    for d in ds_list:
        y = d["y"]
        npos, nneg = max(y.sum(), 1), max((1 - y).sum(), 1)
        out.append(np.where(y > 0, 0.5 / npos, 0.5 / nneg))
    w = np.concatenate(out)
    return w / w.mean()


def gaps(d, z):
    rowmax = {}
    colmax = {}
    for s, t, v in zip(d["src"], d["tgt"], z):
        rowmax[s] = max(rowmax.get(s, -1e30), v)
        colmax[t] = max(colmax.get(t, -1e30), v)
    r = np.array([rowmax[s] for s in d["src"]])
    c = np.array([colmax[t] for t in d["tgt"]])
    return z - r, z - c


def final_scores(d, m):
    idx = [ALL_SIGNALS.index(s) for s in m["signals"]]
    z = d["X"][:, idx] @ np.array(m["weights"]) + m["bias"]
    gr, gc = gaps(d, z)
    logit = m["a_z"] * z + m["a_row"] * gr + m["a_col"] * gc + m["b2"]
    return 1 / (1 + np.exp(-np.clip(logit, -30, 30)))


def ranked(d, score):
    """Scores sorted best first within each source column, with each pair's rank."""
    order = np.lexsort((-score, d["src"]))
    src = d["src"][order]
    starts = np.r_[True, src[1:] != src[:-1]]
    pos = np.arange(len(order))
    first = np.maximum.accumulate(np.where(starts, pos, 0))
    return score[order], d["y"][order], pos - first


def f1_at(r, n_gold, thr, mm):
    sc, y, rank = r
    pred = (sc >= thr) & (rank < mm)
    tp = (pred & (y > 0)).sum()
    npred = pred.sum()
    p = tp / npred if npred else 0.0
    rc = tp / n_gold if n_gold else 0.0
    return 2 * p * rc / (p + rc) if p + rc > 0 else 0.0


def train(ds_list, signals, name):
    idx = [ALL_SIGNALS.index(s) for s in signals]
    X = np.vstack([d["X"][:, idx] for d in ds_list])
    y = np.concatenate([d["y"] for d in ds_list])
    w = weights(ds_list)
    coef, bias = logistic(X, y, w)
    # Stage 2 on the stage-1 logit and its row/column gaps.
    feats = []
    for d in ds_list:
        z = d["X"][:, idx] @ coef + bias
        gr, gc = gaps(d, z)
        feats.append(np.stack([z, gr, gc], axis=1))
    F = np.vstack(feats)
    a, b2 = logistic(F, y, w)
    m = {"name": name, "signals": signals, "weights": [round(float(v), 6) for v in coef],
         "bias": round(float(bias), 6), "a_z": round(float(a[0]), 6), "a_row": round(float(a[1]), 6),
         "a_col": round(float(a[2]), 6), "b2": round(float(b2), 6)}
    best = (-1, 0.5, 1)
    rk = [ranked(d, final_scores(d, m)) for d in ds_list]
    for thr in np.arange(0.05, 0.99, 0.01):
        for mm in (1, 2, 3, 4, 5):
            f = np.mean([f1_at(r, d["n_gold"], thr, mm) for d, r in zip(ds_list, rk)])
            if f > best[0] + 1e-9:
                best = (f, float(thr), mm)
    m["threshold"] = round(best[1], 3)
    m["max_matches"] = best[2]
    m["train_mean_f1"] = round(best[0], 4)
    return m


def model_json(ds_list, names):
    lexical = [s for s in ALL_SIGNALS if s not in WV]
    return {"trained_on": names,
            "variants": [train(ds_list, ALL_SIGNALS, "full"), train(ds_list, lexical, "lexical")]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "../../../.."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(root, "build-match/sdk/cli/embedkit"))
    ap.add_argument("--data", default=os.path.join(root, "../shared/data/schema"))
    ap.add_argument("--out", default=os.path.join(root, "plugins/table_match/model.json"))
    ap.add_argument("--variant", default="", help="evaluate with this variant (default: best available)")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        sys.exit(f"data folder {args.data} not found")
    tmp = tempfile.mkdtemp(prefix="tm_train_")
    dump_model = os.path.join(tmp, "dump_model.json")
    with open(dump_model, "w") as f:
        json.dump({"variants": [{"name": "dump", "signals": ALL_SIGNALS,
                                 "weights": [0.0] * len(ALL_SIGNALS), "bias": 0}]}, f)
    dsets = datasets(args.data)
    data = {}
    for name, group, a in dsets:
        path = os.path.join(tmp, name + ".csv")
        res, _ = run_cli(args.cli, a + ["--dump-features", path], {"model": dump_model})
        d = load_dump(path)
        d["n_gold"] = res["gold_pairs"]
        d["group"] = group
        data[name] = d
        print(f"dumped {name}: {len(d['y'])} pairs, {int(d['y'].sum())} gold in ranked lists, "
              f"{res['gold_pairs']} gold pairs", file=sys.stderr)
    models_dir = os.path.join(here, "models")
    os.makedirs(models_dir, exist_ok=True)
    results = []
    for group in sorted({g for _, g, _ in dsets}):
        train_names = [n for n, g, _ in dsets if g != group]
        m = model_json([data[n] for n in train_names], train_names)
        path = os.path.join(models_dir, f"heldout_{group}.json")
        with open(path, "w") as f:
            json.dump(m, f, indent=1)
        for name, g, a in dsets:
            if g != group:
                continue
            cfg = {"model": os.path.relpath(path, root)}
            if args.variant:
                cfg["variant"] = args.variant
            res, cmd = run_cli(args.cli, a, {"model": path, **({"variant": args.variant} if args.variant else {})})
            res["dataset"] = name
            res["trained_on"] = train_names
            results.append(res)
            print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()}))
    final = model_json([data[n] for n, _, _ in dsets], [n for n, _, _ in dsets])
    with open(args.out, "w") as f:
        json.dump(final, f, indent=1)
        f.write("\n")
    with open(os.path.join(models_dir, "heldout_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
