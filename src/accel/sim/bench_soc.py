"""cocotb bench that runs one compiled GEMM on the SoC and reports its figures.

Used by ``accel sim --gemm`` and ``benchmarks/soc_utilization.py``: the shape comes from ``ACCEL_GEMM``
(``MxKxN``), the result (correctness, cycles, utilization, per-unit counters) goes as JSON to
``ACCEL_RESULT``. Cycles run from the first instruction word written to the done interrupt.
"""

import json
import os
import time

import cocotb
import numpy as np

from accel.sim.golden import matmul, random_int, requantize
from accel.sim.soc_tb import SocTB
from accel.sw.compiler import Requant, plan_gemm


@cocotb.test(timeout_time=3600, timeout_unit="sec")
async def run_soc_gemm(dut):
    tb = SocTB(dut)
    M, K, N = (int(x) for x in os.environ["ACCEL_GEMM"].split("x"))
    g = tb.geometry
    await tb.start()
    a = random_int(tb.rng, (M, K), g.input_width)
    w = random_int(tb.rng, (K, N), g.input_width)
    rq = Requant(scale=int(tb.rng.integers(1, 1 << 16)), shift=int(tb.rng.integers(12, 24)), relu=False)
    plan = plan_gemm(g, M, K, N, rq)
    started = time.perf_counter()
    got, run = await tb.chip.gemm(plan, a, w, timeout_cycles=50 * M * K * N // (g.rows * g.cols) + 100_000)
    wall = time.perf_counter() - started
    want = requantize(matmul(a, w, g.acc_width), rq.scale, rq.shift, rq.relu, g.input_width)
    mismatches = int(np.count_nonzero(got != want))
    tb.check_hbm_timing()
    peak = g.rows * g.cols * run.cycles
    result = {
        "config": tb.config.name, "config_hash": tb.config.config_hash(), "rows": g.rows, "cols": g.cols,
        "gemm": [M, K, N], "seed": tb.seed, "mismatches": mismatches, "instructions": len(plan.program),
        "row_block": plan.mb, "streamed": plan.streamed, "cycles": run.cycles, "macs": M * K * N,
        "array_macs": run.counters["macs"],
        "utilization": M * K * N / peak, "array_utilization": run.counters["macs"] / peak,
        "counters": run.counters, "wall_seconds": wall,
        "cycles_per_second": run.cycles / wall if wall else 0.0,
    }
    path = os.environ.get("ACCEL_RESULT")
    if path:
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2)
    assert mismatches == 0, f"{mismatches} of {M * N} results differ from numpy (seed {tb.seed})"
