#!/usr/bin/env python3
"""Summarise a chain_dispatch JSON run (--benchmark_out=FILE --benchmark_out_format=json).

For every variant and chain length N it prints the median CPU time per request over the
repetitions, the spread of those repetitions, the raw time per middleware, and the figure the
targets are about: the overhead per middleware over the hand-written handler of the SAME run,
(t_variant(N) - t_baseline(N)) / N. It also prints the marginal cost of one more middleware,
the slope between N=4 and N=16 minus the baseline's slope, which separates a fixed per-chain
cost from a per-middleware one. CPU time is used (not wall time) because the machine is shared:
time spent descheduled is not the chain's.
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    with open(path) as f:
        data = json.load(f)
    cpu = defaultdict(list)
    allocs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        variant, n = name.split("/")[:2]
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        cpu[(variant, int(n))].append(b["cpu_time"] * scale)
        allocs[(variant, int(n))] = b.get("allocs", 0.0)
    if not cpu:
        sys.exit("no iteration results in " + path)

    med = {k: statistics.median(v) for k, v in cpu.items()}
    sizes = sorted({n for _, n in med})
    variants = [v for v in ("baseline", "static_filter", "dynamic_filter", "static_response", "dynamic_response",
                              "static_around", "dynamic_around")
                if any((v, n) in med for n in sizes)]
    ctx = data.get("context", {})
    print(f"# {ctx.get('date', '')}  host={ctx.get('host_name', '')}  cpus={ctx.get('num_cpus', '')}  "
          f"load_avg={ctx.get('load_avg', '')}  repetitions={max(len(v) for v in cpu.values())}")
    print(f"{'variant':<15} {'N':>3} {'ns/req':>8} {'spread':>7} {'ns/mw':>7} {'over/mw':>8} {'allocs':>7}")
    for n in sizes:
        base = med.get(("baseline", n))
        for v in variants:
            if (v, n) not in med:
                continue
            t = med[(v, n)]
            s = cpu[(v, n)]
            spread = 100 * (max(s) - min(s)) / t if t else 0
            over = "-" if v == "baseline" or base is None else f"{(t - base) / n:.2f}"
            print(f"{v:<15} {n:>3} {t:8.1f} {spread:6.1f}% {t / n:7.2f} {over:>8} {allocs[(v, n)]:7.2f}")
    if 4 in sizes and 16 in sizes and ("baseline", 4) in med and ("baseline", 16) in med:
        bslope = (med[("baseline", 16)] - med[("baseline", 4)]) / 12
        print("marginal ns per extra middleware (N 4->16, minus baseline slope "
              f"{bslope:.2f}) and fixed per-chain cost (over baseline at N=16 minus 16 x marginal):")
        for v in variants[1:]:
            if (v, 4) in med and (v, 16) in med:
                slope = (med[(v, 16)] - med[(v, 4)]) / 12 - bslope
                fixed = med[(v, 16)] - med[("baseline", 16)] - 16 * slope
                print(f"  {v:<15} marginal {slope:6.2f} ns   fixed {fixed:6.1f} ns")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py CHAIN_DISPATCH.json")
    main(sys.argv[1])
