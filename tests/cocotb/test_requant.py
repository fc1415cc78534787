"""Runs the requantizer bench (tb_requant.py) on two configs and both simulators."""

import pytest


from test_core import BENCH_DIR, seed_for

CASES = [
    pytest.param("array4x4", "verilator", (), id="array4x4-verilator"),
    # The shared, multi-cycle multipliers of a small laid-out SoC: two groups of two lanes per row, the scale
    # four bits per cycle; and the default's one lane at a time, one scale bit per cycle.
    pytest.param("array4x4", "verilator", ("soc.requant_lanes=2", "soc.requant_scale_bits=4"),
                 id="array4x4-2-lanes-4-scale-bits-verilator"),
    pytest.param("default", "verilator", (), id="default-1-lane-1-scale-bit-verilator"),
    pytest.param("tiny", "icarus", ("array.acc_width=20", "array.input_width=6"), id="acc20-out6-icarus"),
]
TESTS = ["test_random_settings", "test_rounding_ties_and_extremes", "test_full_throughput_and_reset_mid_stream"]


@pytest.mark.sim
@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("config_name, simulator, overrides", CASES)
def test_requant(sim_build, config_name, simulator, overrides, testcase):
    build = sim_build(config_name, overrides, "requant", simulator)
    build.run("tb_requant", BENCH_DIR, testcase=testcase, env={"ACCEL_SEED": str(seed_for(testcase))})
