"""cocotb bench that runs one GEMM on the compute core and reports its figures.

Used by ``accel sim`` and ``benchmarks/``: the shape comes from ``ACCEL_GEMM`` (``MxKxN``), the result
(correctness, cycles, utilization, simulation speed) goes as JSON to ``ACCEL_RESULT``.
"""

import json
import os
import time

import cocotb
import numpy as np

from accel.sim.core_tb import CoreTB, GemmStats
from accel.sim.golden import matmul, random_int


@cocotb.test(timeout_time=10, timeout_unit="sec")
async def run_gemm(dut):
    tb = CoreTB(dut)
    M, K, N = (int(x) for x in os.environ["ACCEL_GEMM"].split("x"))
    await tb.start()
    a = random_int(tb.rng, (M, K), tb.w)
    w = random_int(tb.rng, (K, N), tb.w)
    stats = GemmStats()
    start_cycle, start_time = tb.cycle, time.perf_counter()
    got = await tb.gemm(a, w, stats)
    wall = time.perf_counter() - start_time
    total_cycles = tb.cycle - start_cycle
    want = matmul(a, w, tb.acc_width)
    mismatches = int(np.count_nonzero(got != want))
    result = {
        "config": tb.config.name,
        "config_hash": tb.config.config_hash(),
        "rows": tb.rows,
        "cols": tb.cols,
        "gemm": [M, K, N],
        "seed": tb.seed,
        "mismatches": mismatches,
        "macs": stats.macs,
        "compute_cycles": stats.cycles,
        "total_cycles": total_cycles,
        "utilization": stats.utilization(tb.rows, tb.cols),
        "wall_seconds": wall,
        "cycles_per_second": total_cycles / wall if wall else 0.0,
    }
    path = os.environ.get("ACCEL_RESULT")
    if path:
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2)
    assert mismatches == 0, f"{mismatches} of {M * N} results differ from numpy (seed {tb.seed})"
