#!/usr/bin/python3
"""Draws a confusion matrix written by `embedkit classify eval --confusion FILE`.

  /usr/bin/python3 tests/bench/text_classify/plot_confusion.py out/text_classify/20newsgroups-doc2vec-confusion.json \
      docs/images/text_classify_20ng_confusion.png "20 Newsgroups test, doc2vec"

Rows are the gold labels, columns the predictions (row-normalised), the last
column documents left unlabelled (empty after tokenization).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else ""
    m = json.load(open(src))
    labels, rows = m["labels"], m["matrix"]
    n = len(labels)
    norm = []
    for r in rows:
        s = sum(r) or 1
        norm.append([v / s for v in r[:n]])
    fig, ax = plt.subplots(figsize=(11, 9.5), dpi=110)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticklabels(labels, fontsize=8)
    for i in range(n):
        for j in range(n):
            if norm[i][j] >= 0.05:
                ax.text(j, i, f"{norm[i][j]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if norm[i][j] > 0.5 else "black")
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(f"{title} (micro-F1 {m.get('micro_f1', 0):.3f}; rows normalised)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(dst)
    print(dst)


if __name__ == "__main__":
    main()
