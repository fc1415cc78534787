#!/usr/bin/env python3
"""MAC utilization of compiled GEMMs on the SoC, and where the time goes.

For each array size and GEMM size: compile with accel.sw, run on the SoC RTL (Verilator) through its CSR
port, check against numpy, and print utilization = M*K*N / (R*C*cycles), cycles from the first command
word to the done interrupt, plus per-unit busy and token-wait shares from the hardware counters.

The SoCs here are array4x4 resized to each array size, with on-chip memories large enough for long row
blocks (``--scratchpad``, ``--accumulator``): with array4x4's own 256/64 rows (``--own-memories``) the row
block, and so utilization, is small. The embedded default SoC (2x2, 16/8 rows, one small HBM channel):
``--config default --sizes 2 --own-memories --gemms 8,16,32``.

    python benchmarks/soc_utilization.py [--sizes 4,8] [--gemms 32,64,128] [--json]
"""

import argparse
import json

from rich.console import Console
from rich.table import Table

from accel.config import load_config
from accel.sim import runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,8", help="square array sizes N (N x N), comma-separated")
    parser.add_argument("--gemms", default="16,32,64,128", help="square GEMM sizes (M = K = N), comma-separated")
    parser.add_argument("--scratchpad", type=int, default=2048, help="memory.scratchpad_rows")
    parser.add_argument("--accumulator", type=int, default=256, help="memory.accumulator_rows")
    parser.add_argument("--config", default="array4x4", help="the config to resize (default: array4x4)")
    parser.add_argument("--own-memories", action="store_true",
                        help="keep the config's own memories (array4x4: 256 scratchpad / 64 accumulator rows)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="another config override (repeatable), e.g. soc.command_queue_depth=32")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        overrides = [f"array.rows={size}", f"array.cols={size}"]
        if not args.own_memories:
            overrides += [f"memory.scratchpad_rows={args.scratchpad}", f"memory.accumulator_rows={args.accumulator}"]
        cfg = load_config(args.config, overrides + args.set)
        build = runner.build(cfg, "soc", "verilator")
        for n in (int(v) for v in args.gemms.split(",")):
            result = runner.run_soc_gemm(build, (n, n, n), seed=1)
            result["memories"] = [cfg.memory.scratchpad_rows, cfg.memory.accumulator_rows]
            rows.append(result)
            if not args.json:
                Console(stderr=True).print(f"{size}x{size} GEMM {n}^3: {result['utilization']:.1%}")

    if args.json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="SoC MAC utilization (compiled GEMM, CSR-driven, Verilator)")
    for column in ("array", "GEMM", "row block", "cycles", "utilization", "load busy/wait", "exec busy/wait",
                   "store busy/wait", "array stall", "HBM rd/wr bursts"):
        table.add_column(column)
    for r in rows:
        c, cycles = r["counters"], r["cycles"]
        share = lambda unit: f"{c[unit + '_busy'] / cycles:.0%}/{c[unit + '_wait'] / cycles:.0%}"  # noqa: E731
        table.add_row(f"{r['rows']}x{r['cols']}", "x".join(map(str, r["gemm"])), str(r["row_block"]), f"{cycles:,}",
                      f"{r['utilization']:.1%}", share("load"), share("exec"), share("store"),
                      f"{c['array_stall']:,}", f"{c['hbm_reads']:,}/{c['hbm_writes']:,}")
    Console(width=max(Console().width, 150)).print(table)


if __name__ == "__main__":
    main()
