"""Runs the compute-core cocotb bench (tb_core.py) for each config and simulator through pytest."""

import os
import zlib
from pathlib import Path

import pytest


BENCH_DIR = Path(__file__).parent

# (config, simulator, overrides): default and tiny and a non-square array under Verilator; tiny under
# Icarus too, once with 16-bit accumulators so that sums of extreme products really wrap; and the
# degenerate shapes 1xN and Nx1 (Icarus: no compile time).
CASES = [
    pytest.param("tiny", "verilator", (), id="tiny-verilator"),
    pytest.param("array4x4", "verilator", (), id="array4x4-verilator"),
    pytest.param("rect", "verilator", (), id="rect3x5-verilator"),
    pytest.param("tiny", "icarus", (), id="tiny-icarus"),
    pytest.param("tiny", "icarus", ("array.acc_width=16",), id="tiny-acc16-icarus"),
    pytest.param("tiny", "icarus", ("array.rows=1", "array.cols=4"), id="1x4-icarus"),
    pytest.param("tiny", "icarus", ("array.rows=4", "array.cols=1"), id="4x1-icarus"),
]

BENCH_TESTS = [
    "test_gemm_shapes",
    "test_gemm_extremes",
    "test_bubbles",
    "test_reset_mid_tile",
    "test_new_tile_waits_for_weights",
    "test_accumulate_same_row_back_to_back",
    "test_overwrite_replaces_old_results",
    "test_streaming_utilization",
]


def seed_for(testcase: str) -> int:
    """A fixed seed per bench test (override with ACCEL_SEED to replay or explore)."""
    return int(os.environ.get("ACCEL_SEED", zlib.crc32(testcase.encode()) & 0xFFFF))


@pytest.mark.sim
@pytest.mark.parametrize("testcase", BENCH_TESTS)
@pytest.mark.parametrize("config_name,simulator,overrides", CASES)
def test_core(sim_build, config_name, simulator, overrides, testcase):
    build = sim_build(config_name, overrides, "core", simulator)
    build.run("tb_core", BENCH_DIR, testcase=testcase, env={"ACCEL_SEED": str(seed_for(testcase))})
