#!/usr/bin/env python3
"""Sustained bandwidth (fraction of peak) and row-hit rate of one HBM pseudo-channel controller.

For each timing preset and page policy, runs sequential, strided (one burst per row, same bank) and
random read traffic (plus a 30%-write random mix) through the RTL with the timing-checking device model
attached, and reads the figures from the controller's own counters:
  * bandwidth fraction = column commands * (burst_length / 2) / cycles (data-bus occupancy);
  * row-hit rate = column commands served from an already open row / column commands.

    python benchmarks/hbm_bandwidth.py [--requests 4000] [--presets hbm2_2gbps,hbm3] [--policies open,closed]
"""

import argparse
import json

from rich.console import Console
from rich.table import Table

from accel.config import load_config
from accel.sim import runner

PATTERNS = [("sequential", 0.0), ("strided", 0.0), ("random", 0.0), ("random", 0.3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--presets", default="hbm2_2gbps,hbm3")
    parser.add_argument("--policies", default="open,closed")
    parser.add_argument("--mapping", default="row_bank_column", choices=["row_bank_column", "bank_interleaved"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rows = []
    for preset in args.presets.split(","):
        for policy in args.policies.split(","):
            config = load_config("array4x4", [f"hbm.preset={preset}", f"hbm.page_policy={policy}",
                                             f"hbm.address_mapping={args.mapping}", "hbm.pseudo_channels=1"])
            build = runner.build(config, "hbm_pc", "verilator")
            for pattern, writes in PATTERNS:
                rows.append(runner.run_bench(build, "accel.sim.bench_hbm", "run_traffic", {
                    "ACCEL_HBM_PATTERN": pattern, "ACCEL_HBM_REQUESTS": str(args.requests),
                    "ACCEL_HBM_WRITE_FRACTION": str(writes), "ACCEL_SEED": "3"}))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"HBM pseudo-channel: sustained bandwidth and row hits ({args.mapping}, "
                        f"{args.requests} requests each)")
    for column in ("preset", "policy", "traffic", "writes", "cycles", "bandwidth / peak", "row-hit rate",
                   "refreshes", "violations"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(r["preset"], r["page_policy"], r["pattern"], f"{r['write_fraction']:.0%}", f"{r['cycles']:,}",
                      f"{r['bandwidth_fraction']:.1%}", f"{r['row_hit_rate']:.1%}",
                      str(r["counters"]["refreshes"]), str(r["violations"]))
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
