#!/usr/bin/python3
"""Draws forget vs retain recall over MMRecUn's unlearning epochs as SVG (standard
library only: matplotlib is not part of the toolchain).

    build/tests/bench/rec_unlearn/bench_rec_unlearn_curve --max-epochs 8 > curve.csv
    python3 tests/bench/rec_unlearn/plot_curve.py curve.csv docs/images/rec_unlearn_curve.svg

One column per request kind; top row: recall@20 on the retained users' test pairs,
bottom row: forget_recall@20 (share of forgotten pairs still in their user's top 20).
Solid: MMRecUn after E epochs (no early stop); dashed: Gold (retraining) with the
issue's bounds (97% of Gold's recall, Gold's forget recall + 0.02) shaded; dotted:
no-op; the ring marks where the default early stop ends.
"""
import csv
import sys
from xml.sax.saxutils import escape

KINDS = [("interactions", "5% of interactions"), ("users", "5% of users"), ("items", "1% of items")]
W, H = 1010, 580
LEFT, TOP, PW, PH, GX, GY = 70, 50, 260, 190, 45, 70
BLUE, ORANGE, GREY = "#1f77b4", "#d95f02", "#777777"


def read(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["kind"], []).append(r)
    return rows


def nice_range(lo, hi, step):
    lo = step * int(lo / step - 1e-9) if lo > 0 else 0.0
    hi = step * (int(hi / step + 1e-9) + 1)
    return lo, hi


def panel(out, x0, y0, xs_max, ylo, yhi, ystep, title, ylabel):
    out.append(f'<rect x="{x0}" y="{y0}" width="{PW}" height="{PH}" fill="none" stroke="#bbb"/>')
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 - 8}" text-anchor="middle" font-size="13">{escape(title)}</text>')
    sx = lambda e: x0 + PW * e / xs_max
    sy = lambda v: y0 + PH - PH * (v - ylo) / (yhi - ylo)
    v = ylo
    while v <= yhi + 1e-9:
        y = sy(v)
        out.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 5}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{v:.2f}</text>')
        v += ystep
    for e in range(0, xs_max + 1):
        out.append(f'<text x="{sx(e):.1f}" y="{y0 + PH + 14}" text-anchor="middle" font-size="10">{e}</text>')
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 + PH + 30}" text-anchor="middle" font-size="11">unlearning epochs</text>')
    out.append(f'<text transform="translate({x0 - 45},{y0 + PH / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="11">{escape(ylabel)}</text>')
    return sx, sy


def polyline(out, pts, color, dash=None, width=2):
    d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="{width}"{extra}/>')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = read(sys.argv[1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif">', f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">rec_unlearn on ML-100K: '
           f'MMRecUn forget vs retain recall@20 over unlearning epochs</text>']
    for col, (kind, label) in enumerate(KINDS):
        rs = rows.get(kind, [])
        curve = sorted((int(r["unlearn_epochs"]), r) for r in rs if r["method"] == "mmrecun")
        ref = {r["method"]: r for r in rs if r["method"] != "mmrecun"}
        if not curve or "gold" not in ref:
            continue
        emax = max(1, curve[-1][0])
        x0 = LEFT + col * (PW + GX + 25)
        gold, noop, dflt = ref["gold"], ref.get("noop"), ref.get("mmrecun-default")
        for row, (key, ylabel, bound) in enumerate([
                ("recall@20", "retain recall@20", lambda g: 0.97 * g),
                ("forget_recall@20", "forget recall@20", lambda g: g + 0.02)]):
            y0 = TOP + row * (PH + GY)
            vals = [float(r[key]) for _, r in curve] + [float(gold[key]), bound(float(gold[key]))]
            if noop:
                vals.append(float(noop[key]))
            step = 0.01 if row == 0 else 0.1
            ylo, yhi = nice_range(min(vals), max(vals), step)
            sx, sy = panel(out, x0, y0, emax, ylo, yhi, step, f"{kind} ({label})" if row == 0 else "", ylabel)
            g, b = float(gold[key]), bound(float(gold[key]))
            # the bound: recall above 97% of Gold's, forget recall below Gold's + 0.02
            ya, yb = (sy(max(yhi, b)), sy(b)) if row == 0 else (sy(b), sy(ylo))
            out.append(f'<rect x="{x0}" y="{min(ya, yb):.1f}" width="{PW}" height="{abs(yb - ya):.1f}" '
                       f'fill="{BLUE if row == 0 else ORANGE}" fill-opacity="0.07"/>')
            color = BLUE if row == 0 else ORANGE
            polyline(out, [(x0, sy(g)), (x0 + PW, sy(g))], color, "6,4", 1.5)
            if noop:
                polyline(out, [(x0, sy(float(noop[key]))), (x0 + PW, sy(float(noop[key])))], GREY, "2,3", 1.5)
            polyline(out, [(sx(e), sy(float(r[key]))) for e, r in curve], color)
            for e, r in curve:
                out.append(f'<circle cx="{sx(e):.1f}" cy="{sy(float(r[key])):.1f}" r="2.5" fill="{color}"/>')
            if dflt:
                e = int(dflt["unlearn_epochs"])
                out.append(f'<circle cx="{sx(e):.1f}" cy="{sy(float(dflt[key])):.1f}" r="7" fill="none" '
                           f'stroke="black" stroke-width="1.5"/>')
    ly = H - 22
    legend = [(BLUE, None, "MMRecUn: retain recall"), (ORANGE, None, "MMRecUn: forget recall"),
              ("#000", "6,4", "Gold (retrain), shaded: issue bound"), (GREY, "2,3", "no-op")]
    x = 60
    for color, dash, text in legend:
        polyline(out, [(x, ly), (x + 30, ly)], color, dash)
        out.append(f'<text x="{x + 36}" y="{ly + 4}" font-size="11">{escape(text)}</text>')
        x += 48 + 6 * len(text)
    out.append(f'<circle cx="{x + 5}" cy="{ly}" r="7" fill="none" stroke="black" stroke-width="1.5"/>')
    out.append(f'<text x="{x + 18}" y="{ly + 4}" font-size="11">default (early stop)</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
