#!/usr/bin/env python3
"""Summary of one run_bench.sh session: our kernels' medians as ratios to the peers and
to the limits measured in the same run (ek_machine_limits' limits.txt: fp32 FMA peak per
thread count, single-core read bandwidth), never to constants.

    bench_summary.py OUT_DIR     (OUT_DIR holds limits.txt, ours.json, peers.txt)
"""
import json, re, sys, os
out = sys.argv[1]
limits = open(os.path.join(out, "limits.txt")).read()
bws = [float(m) for m in re.findall(r"read bandwidth: ([\d.]+) GB/s", limits)]
bw = max(bws) if bws else float("nan")
peaks = {}  # threads -> best GFLOP/s over the runs before and after ours
for t, g in re.findall(r"FMA peak threads=(\d+): ([\d.]+) GFLOP/s", limits):
    peaks[int(t)] = max(peaks.get(int(t), 0.0), float(g))
target = (re.findall(r"target (\w+)", limits) or ["?"])[0]
data = json.load(open(os.path.join(out, "ours.json")))
ours = {}
for b in data["benchmarks"]:
    if b.get("run_type") != "aggregate":
        continue
    ours.setdefault(b["run_name"], {})[b["aggregate_name"]] = b
peers = {}
for line in open(os.path.join(out, "peers.txt")):
    m = re.match(r"(numpy|usearch|sqlite-vec)\S*(?: \S+)* N=(\d+) D=\d+: ([\d.]+) queries/s, ([\d.]+) GB/s", line)
    if m:
        peers[(m.group(1), int(m.group(2)))] = (float(m.group(3)), float(m.group(4)))

def med(name, key):
    a = ours.get(name, {}).get("median")
    return a[key] if a and key in a else float("nan")

def best(name, key):
    a = ours.get(name, {}).get("max")
    return a[key] if a and key in a else float("nan")

threads_all = max([int(med(n, "threads")) for n in ours if n.startswith("ScanSingle")] or [1])
def peak(t):
    return peaks.get(t, float("nan"))
print(f"read bandwidth (best of 5, max of the runs before/after): {bw:.1f} GB/s  {bws}")
print(f"fp32 FMA peak ({target}, best of 5, max of before/after): "
      + ", ".join(f"{t} thread(s) {g:.1f} GFLOP/s" for t, g in sorted(peaks.items())))
print()
print("one-vs-many, 150 MiB base, 1 thread (median GB/s; ratio to bw)")
for metric in ("dot", "l2", "cosine"):
    row = []
    for dim in (128, 384, 768, 1536):
        g = med(f"OneVsMany/{metric}/{dim}/real_time", "GB/s")
        row.append(f"d{dim}: {g:5.1f} ({g / bw:4.0%})")
    print(f"  {metric:6s} " + "  ".join(row))
print()
hdr = f"{'scan (dim 384, top-10)':36s} {'ours':>22s} {'/bw':>6s} {'/usearch':>9s} {'/numpy':>7s} {'/sqlite-vec':>11s}"
print(hdr)
for n in (100000, 1000000):
    for t in sorted({1, threads_all}):
        name = f"ScanSingle/rows:{n}/threads:{t}/real_time"
        if name not in ours:
            continue
        g, q = med(name, "GB/s"), med(name, "queries/s")
        us = peers.get(("usearch", n), (float("nan"),) * 2)[0]
        npq = peers.get(("numpy", n), (float("nan"),) * 2)[0]
        sv = peers.get(("sqlite-vec", n), (float("nan"),) * 2)[0]
        extra = f"   (cpu-time {med(name, 'cpu_GB/s'):.1f} GB/s = {med(name, 'cpu_GB/s') / bw:.0%}; best rep {best(name, 'GB/s'):.1f})" if t == 1 else ""
        print(f"  single query N={n:<8d} threads={t}   {q:8.1f} q/s {g:5.1f} GB/s {g / bw:6.0%} {q / us:9.2f} {q / npq:7.2f} {q / sv:11.2f}{extra}")
for n in (100000, 1000000):
    for t in sorted({1, threads_all}):
        name = f"ScanBatch/rows:{n}/threads:{t}/real_time"
        if name not in ours:
            continue
        gf = med(name, "GFLOP/s")
        print(f"  100-query batch N={n:<8d} threads={t}   {gf:6.1f} GFLOP/s = {gf / peak(t):5.1%} of the measured {peak(t):.0f} GFLOP/s peak"
              f"   (best rep {best(name, 'GFLOP/s'):.1f}" + (f"; cpu-time {med(name, 'cpu_GFLOP/s'):.1f} = {med(name, 'cpu_GFLOP/s') / peak(1):.1%})" if t == 1 else ")"))
print()
print("peers (median queries/s, GB/s):")
for (k, n), (q, g) in sorted(peers.items()):
    print(f"  {k:10s} N={n:<8d} {q:8.1f} q/s {g:6.2f} GB/s  ({g / bw:4.0%} of bw)")
print()
for kind in ("ScanSingle", "ScanBatch"):
    for n in (100000, 1000000):
        one = ours.get(f"{kind}/rows:{n}/threads:1/real_time", {}).get("median")
        alln = ours.get(f"{kind}/rows:{n}/threads:{threads_all}/real_time", {}).get("median")
        if one and alln and threads_all > 1:
            print(f"  {kind} N={n}: {threads_all} threads {one['real_time'] / alln['real_time']:.2f}x faster than 1")
