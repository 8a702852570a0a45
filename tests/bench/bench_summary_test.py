#!/usr/bin/env python3
"""run_bench.sh's summary divides by the limits measured in the same run: a smoke pass
of ek_bench_kernels and ek_machine_limits on this host, then bench_summary.py, whose
batch line must be the measured GFLOP/s over the measured peak (it once divided by a
constant 117 GFLOP/s and printed "137-143 % of peak" on a faster host).

    bench_summary_test.py BENCH_KERNELS MACHINE_LIMITS
"""
import json, os, re, subprocess, sys, tempfile

bench, limits_bin = sys.argv[1], sys.argv[2]
summary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_summary.py")
with tempfile.TemporaryDirectory() as out:
    subprocess.run([bench, "--smoke", "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
                    "--benchmark_filter=ScanBatch/rows:100000/threads:1",
                    "--benchmark_report_aggregates_only=true",
                    f"--benchmark_out={out}/ours.json", "--benchmark_out_format=json"],
                   check=True, stdout=subprocess.DEVNULL)
    limits = subprocess.run([limits_bin, "--threads", "1", "--bandwidth-mib", "8"], check=True,
                            capture_output=True, text=True).stdout
    open(os.path.join(out, "limits.txt"), "w").write(limits)
    open(os.path.join(out, "peers.txt"), "w").close()
    text = subprocess.run([sys.executable, summary, out], check=True, capture_output=True,
                          text=True).stdout
    print(text)

peak = float(re.search(r"FMA peak threads=1: ([\d.]+) GFLOP/s", limits).group(1))
bw = float(re.search(r"read bandwidth: ([\d.]+) GB/s", limits).group(1))
assert peak > 0 and bw > 0, limits
line = re.search(r"100-query batch N=100000\s+threads=1\s+([\d.]+) GFLOP/s =\s*([\d.]+)% of the measured "
                 r"(\d+) GFLOP/s peak", text)
assert line, "summary has no batch line against the measured peak:\n" + text
gflops, pct, shown_peak = float(line.group(1)), float(line.group(2)), float(line.group(3))
assert abs(shown_peak - peak) <= 0.5, (shown_peak, peak)
assert abs(pct - 100 * gflops / peak) <= 0.5, (pct, gflops, peak)
assert f"read bandwidth (best of 5, max of the runs before/after): {bw:.1f} GB/s" in text, text
print(f"ok: {gflops} GFLOP/s = {pct}% of the measured {peak} GFLOP/s")
