#!/usr/bin/python3
"""Plots the vsa_json benchmark's curves as PNG with numpy + zlib only (matplotlib is not
part of the toolchain): a tiny rasteriser, a 3x5 pixel font and a PNG writer.

    python3 tests/bench/vsa_json/plot.py OUT_DIR_OF_BENCH docs/images

reads capacity.csv and stability.csv, writes vsa_json_capacity.png and
vsa_json_stability.png.
"""
import csv
import math
import struct
import sys
import zlib

import numpy as np

FONT = {  # 3x5 glyphs, rows top to bottom, 3 bits each
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "-": "000000111000000",
    "=": "000111000111000", "(": "010100100100010", ")": "010001001001010", "/": "001001010100100",
    ":": "000010000010000", "%": "101001010100101", " ": "000000000000000", ",": "000000000010100",
    "A": "010101111101101", "B": "110101110101110", "C": "111100100100111", "D": "110101101101110",
    "E": "111100111100111", "F": "111100111100100", "G": "111100101101111", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101111", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "101111111111101", "O": "111101101101111", "P": "111101111100100",
    "Q": "111101101111001", "R": "111101110101101", "S": "111100111001111", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111", "^": "010101000000000",
}
COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207)]


class Canvas:
    def __init__(self, w, h):
        self.img = np.full((h, w, 3), 255, np.uint8)

    def px(self, x, y, c, r=1):
        h, w, _ = self.img.shape
        x0, y0 = int(round(x)), int(round(y))
        self.img[max(0, y0 - r + 1):min(h, y0 + r), max(0, x0 - r + 1):min(w, x0 + r)] = c

    def line(self, x0, y0, x1, y1, c, r=1):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for t in np.linspace(0, 1, n + 1):
            self.px(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c, r)

    def text(self, x, y, s, c=(0, 0, 0), scale=2):
        for ch in s.upper():
            g = FONT.get(ch, FONT[" "])
            for i, bit in enumerate(g):
                if bit == "1":
                    self.img[y + (i // 3) * scale:y + (i // 3 + 1) * scale,
                             x + (i % 3) * scale:x + (i % 3 + 1) * scale] = c
            x += 4 * scale

    def save(self, path):
        h, w, _ = self.img.shape
        raw = b"".join(b"\x00" + self.img[y].tobytes() for y in range(h))

        def chunk(tag, data):
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def plot(path, title, xlabel, ylabel, series, logx=False, logy=False, ylim=None):
    W, H, L, R, T, B = 900, 560, 90, 230, 50, 70
    cv = Canvas(W, H)
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts if (not logy or y > 0)]
    fx = (lambda v: math.log10(v)) if logx else (lambda v: v)
    fy = (lambda v: math.log10(max(v, 1e-12))) if logy else (lambda v: v)
    x0, x1 = fx(min(xs)), fx(max(xs))
    y0, y1 = (fy(min(ys)), fy(max(ys))) if ylim is None else (fy(ylim[0]), fy(ylim[1]))
    if y1 <= y0:
        y1 = y0 + 1
    if logy:
        y0, y1 = math.floor(y0), math.ceil(y1)
    X = lambda v: L + (fx(v) - x0) / (x1 - x0 or 1) * (W - L - R)
    Y = lambda v: H - B - (fy(v) - y0) / (y1 - y0) * (H - T - B)
    grey = (200, 200, 200)
    cv.line(L, H - B, W - R, H - B, (0, 0, 0))
    cv.line(L, T, L, H - B, (0, 0, 0))
    for i in range(6):  # y ticks
        v = y0 + (y1 - y0) * i / 5
        yy = H - B - (H - T - B) * i / 5
        cv.line(L, yy, W - R, yy, grey)
        label = ("1E%d" % round(v)) if logy and abs(v - round(v)) < 1e-9 else ("%.3g" % (10 ** v if logy else v))
        cv.text(5, int(yy) - 5, label)
    ticks = sorted(set(x for x in xs))
    if len(ticks) > 10:
        ticks = ticks[::max(1, len(ticks) // 8)]
    for v in ticks:
        xx = X(v)
        cv.line(xx, H - B, xx, H - B + 5, (0, 0, 0))
        cv.text(int(xx) - 8, H - B + 10, "%g" % v)
    for i, (name, pts) in enumerate(series):
        c = COLORS[i % len(COLORS)]
        pts = [(x, y) for x, y in pts if (not logy or y > 0)]
        for (a, b), (p, q) in zip(pts, pts[1:]):
            cv.line(X(a), min(max(Y(b), T), H - B), X(p), min(max(Y(q), T), H - B), c, 2)
        for x, y in pts:
            if len(pts) < 40:
                cv.px(X(x), min(max(Y(y), T), H - B), c, 3)
        cv.line(W - R + 15, T + 20 + 22 * i, W - R + 40, T + 20 + 22 * i, c, 2)
        cv.text(W - R + 48, T + 15 + 22 * i, name)
    cv.text(L, 15, title, scale=3)
    cv.text(L + (W - L - R) // 2 - 4 * len(xlabel), H - 30, xlabel)
    cv.text(5, T - 25, ylabel)
    cv.save(path)
    print("wrote", path)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    cap = {}
    with open(src + "/capacity.csv") as f:
        for r in csv.DictReader(f):
            cap.setdefault("%s D=%s" % (r["binding"], r["dim"]), []).append((int(r["k"]), float(r["accuracy"])))
    plot(dst + "/vsa_json_capacity.png", "PROBE ACCURACY VS FIELDS K (100 CANDIDATES)", "FIELDS K",
         "TOP-1 ACCURACY", sorted(cap.items()), logx=True, ylim=(0, 1))
    st = {}
    with open(src + "/stability.csv") as f:
        for r in csv.DictReader(f):
            st.setdefault(r["binding"], []).append((int(r["depth"]), float(r["norm_drift"]), float(r["cos_drift"])))
    series = []
    for b, pts in sorted(st.items()):
        series.append((b + " norm", [(d, n) for d, n, _ in pts]))
        series.append((b + " cos", [(d, c) for d, _, c in pts]))
    plot(dst + "/vsa_json_stability.png", "DRIFT AFTER N NESTED BINDINGS (D=1024)", "NESTED BINDINGS",
         "ABS DRIFT", series, logy=True)


if __name__ == "__main__":
    main()
