#!/usr/bin/python3
"""Diagnosis: would WordNet relations help table_match? (They did not; see
docs/table_match.md, "Tried and dropped".)

    apt-get install wordnet-base      # WordNet 3.0 database files, /usr/share/wordnet
    /usr/bin/python3 tests/plugins/table_match/train/wordnet_probe.py --cli build/sdk/cli/embedkit

Dumps every dataset's pair signals as train.py does (the zero model, variant full),
adds four WordNet features per pair, and compares stage 1 (the logistic model over
the signals) with and without them, leave-one-group-out as train.py evaluates:
Hit@1 / Hit@5 of the gold targets per dataset. Stage 1 only: the second stage's
table context is computed by the plugin, which has no WordNet feature.

Features, over the words of the column names and of the table names (split at `_`,
run-together names split in two against WordNet's lemmas, `id` dropped):
  wup_col / wup_table   Wu-Palmer similarity, best match per word, mean of both ways
  link_col / link_table 1 for the same synset, 0.8 for a direct hypernym, else 0
using each word's first three noun senses (WordNet lists senses by frequency).
"""
import functools
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

WORDNET = "/usr/share/wordnet"
SENSES = 3


class WordNet:
    """The noun part of the WordNet 3.0 database (format: wndb(5))."""

    def __init__(self, folder):
        self.senses = {}  # lemma -> synset offsets, most frequent first
        with open(os.path.join(folder, "index.noun")) as f:
            for line in f:
                if line.startswith(" "):  # licence header
                    continue
                p = line.split()
                n = int(p[2])
                self.senses[p[0]] = [int(o) for o in p[-n:]]
        self.hypernyms = {}
        with open(os.path.join(folder, "data.noun")) as f:
            for line in f:
                if line.startswith(" "):
                    continue
                p = line.partition("|")[0].split()
                words = int(p[3], 16)
                k = 4 + 2 * words
                hyp = []
                for _ in range(int(p[k])):
                    if p[k + 1] in ("@", "@i"):
                        hyp.append(int(p[k + 2]))
                    k += 4
                self.hypernyms[int(p[0])] = hyp
        self.exceptions = {}
        with open(os.path.join(folder, "noun.exc")) as f:
            for line in f:
                a, b = line.split()[:2]
                self.exceptions[a] = b

    @functools.lru_cache(None)
    def lemma(self, w):
        """WordNet's morphy for nouns: the word, an irregular form, or a suffix rule."""
        if w in self.senses:
            return w
        if self.exceptions.get(w) in self.senses:
            return self.exceptions[w]
        for suf, rep in (("ies", "y"), ("ses", "s"), ("xes", "x"), ("ches", "ch"),
                         ("shes", "sh"), ("men", "man"), ("s", "")):
            if w.endswith(suf) and w[: -len(suf)] + rep in self.senses:
                return w[: -len(suf)] + rep
        return None

    @functools.lru_cache(None)
    def ancestors(self, s):
        dist, queue = {s: 0}, [s]
        while queue:
            x = queue.pop(0)
            for h in self.hypernyms[x]:
                if h not in dist:
                    dist[h] = dist[x] + 1
                    queue.append(h)
        return dist

    @functools.lru_cache(None)
    def depth(self, s):
        hyp = self.hypernyms[s]
        return 0 if not hyp else 1 + min(self.depth(h) for h in hyp)

    @functools.lru_cache(None)
    def wup(self, a, b):
        a, b = self.lemma(a), self.lemma(b)
        if not a or not b:
            return 0.0
        if a == b:
            return 1.0
        best = 0.0
        for sa in self.senses[a][:SENSES]:
            da = self.ancestors(sa)
            for sb in self.senses[b][:SENSES]:
                db = self.ancestors(sb)
                for c in set(da) & set(db):
                    dc = self.depth(c) + 1
                    best = max(best, 2 * dc / (da[c] + db[c] + 2 * dc))
        return best

    @functools.lru_cache(None)
    def link(self, a, b):
        a, b = self.lemma(a), self.lemma(b)
        if not a or not b:
            return 0.0
        sa, sb = set(self.senses[a][:SENSES]), set(self.senses[b][:SENSES])
        if a == b or sa & sb:
            return 1.0
        if any(set(self.hypernyms[x]) & sb for x in sa) or any(set(self.hypernyms[x]) & sa for x in sb):
            return 0.8
        return 0.0


def features(wn, d):
    @functools.lru_cache(None)
    def words(name):
        out = []
        for part in re.split(r"[_\s]+", name.lower()):
            if not part or part == "id":
                continue
            if wn.lemma(part) or len(part) < 6:
                out.append(part)
                continue
            split = next(((part[:i], part[i:]) for i in range(len(part) - 3, 2, -1)
                          if wn.lemma(part[:i]) and wn.lemma(part[i:])), (part,))
            out.extend(split)
        return tuple(out)

    @functools.lru_cache(None)
    def align(a, b, kind):
        if not a or not b:
            return 0.0
        f = wn.wup if kind == "wup" else wn.link
        return (np.mean([max(f(x, y) for y in b) for x in a]) +
                np.mean([max(f(x, y) for x in a) for y in b])) / 2

    rows = []
    for s, t in zip(d["src"], d["tgt"]):
        st, sc = s.split(".", 1)
        tt, tc = t.split(".", 1)
        rows.append([align(words(sc), words(tc), "wup"), align(words(sc), words(tc), "link"),
                     align(words(st), words(tt), "wup"), align(words(st), words(tt), "link")])
    return np.array(rows)


def hits(d, score):
    """Hit@1 and Hit@5 over the source columns with a gold target."""
    _, y, rank = train.ranked(d, score)
    best = {}  # ranked() orders by source column, then score: the first gold is the best
    for src, gold, r in zip(np.sort(d["src"]), y, rank):
        if gold > 0:
            best.setdefault(src, r)
    r = np.array(list(best.values()))
    return (r == 0).mean(), (r < 5).mean()


def main():
    ap = train.arg_parser("build")
    ap.add_argument("--wordnet", default=WORDNET)
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.wordnet, "data.noun")):
        sys.exit(f"WordNet not found in {args.wordnet} (apt-get install wordnet-base)")
    if not os.path.isdir(args.data):
        sys.exit(f"data folder {args.data} not found")
    wn = WordNet(args.wordnet)
    dsets = train.datasets(args.data)
    base = train.dump_all(args.cli, tempfile.mkdtemp(prefix="tm_wordnet_"), dsets,
                          [v for v in train.VARIANTS if v[0] == "full"])["full"]
    for d in base.values():
        d["W"] = features(wn, d)
    for name, d in base.items():
        others = [o for n, o in base.items() if o["group"] != d["group"]]
        line = [name]
        for with_wn in (False, True):
            X = (lambda e: np.hstack([e["X"], e["W"]])) if with_wn else (lambda e: e["X"])
            coef, bias = train.logistic(np.vstack([X(o) for o in others]),
                                        np.concatenate([o["y"] for o in others]), train.weights(others))
            h1, h5 = hits(d, X(d) @ coef + bias)
            line.append(f"{'with' if with_wn else 'without'} WordNet: Hit@1 {h1:.3f} Hit@5 {h5:.3f}")
        print("  ".join(line))


if __name__ == "__main__":
    main()
