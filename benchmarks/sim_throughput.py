#!/usr/bin/env python3
"""Array simulation throughput and MAC utilization of a streamed GEMM, under Verilator and Icarus.

For each array size and simulator: build the compute core (build time; 0 when the cached model is
reused), run one random int8 GEMM that streams several weight tiles back to back, check it against
numpy, and print
  * simulation speed: simulated clock cycles per wall-clock second, the testbench driving every cycle;
  * MAC utilization: useful MACs / (R * C * cycles) over the compute phase (first vector in, last row
    written), i.e. how well weight loading overlaps streaming.

    python benchmarks/sim_throughput.py [--sizes 4,8] [--simulators verilator,icarus] [--m 128] [--json]
"""

import argparse
import json
import time

from rich.console import Console
from rich.table import Table

from accel.config import load_config
from accel.sim import runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,8", help="square array sizes N (N x N), comma-separated")
    parser.add_argument("--simulators", default="verilator,icarus")
    parser.add_argument("--m", type=int, default=128, help="GEMM M (activation vectors per weight tile)")
    parser.add_argument("--k-tiles", type=int, default=4, help="weight tiles along K")
    parser.add_argument("--n-tiles", type=int, default=2, help="weight tiles along N")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        depth = 1 << max(1, (args.m * args.n_tiles - 1).bit_length())
        cfg = load_config("array4x4", [f"array.rows={size}", f"array.cols={size}",
                                      f"memory.accumulator_rows={depth}"])
        shape = (args.m, args.k_tiles * size, args.n_tiles * size)
        for simulator in args.simulators.split(","):
            started = time.perf_counter()
            build = runner.build(cfg, "core", simulator)
            build_seconds = time.perf_counter() - started
            result = runner.run_gemm(build, shape, seed=1)
            result["build_seconds"] = build_seconds
            rows.append(result)

    if args.json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="compute core: simulation speed and MAC utilization (streamed GEMM)")
    for column in ("array", "simulator", "GEMM MxKxN", "build s", "cycles", "sim cycles/s",
                   "MAC utilization"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(f"{r['rows']}x{r['cols']}", r["simulator"], "x".join(map(str, r["gemm"])),
                      f"{r['build_seconds']:.1f}", f"{r['total_cycles']:,}", f"{r['cycles_per_second']:,.0f}",
                      f"{r['utilization']:.1%}")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
