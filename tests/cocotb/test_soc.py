"""Runs the SoC bench (tb_soc.py): GEMMs, convolutions, errors and reset on the 4x4 chip; a GEMM split
over two chips on a ring; the embedded default SoC (2x2, 16 scratchpad rows: GEMMs with a large K stream
their activations) from the CLI; and that small chip with 16-bit accumulators and counters and a starved
HBM (one pseudo-channel, short queues, frequent refresh), so the DMA engines see back-pressure."""

import pytest

from test_core import BENCH_DIR, seed_for

SINGLE = ["test_gemm_shapes", "test_gemm_extremes", "test_conv_layers", "test_illegal_instructions",
          "test_reset_mid_program"]
SMALL_STARVED = ("hbm.timing.tREFI=2000", "soc.counter_width=16", "array.acc_width=16")


def run(sim_build, overrides, top, testcase, config="array4x4"):
    build = sim_build(config, overrides, top)
    build.run("tb_soc", BENCH_DIR, testcase=testcase, env={"ACCEL_SEED": str(seed_for(testcase))})


@pytest.mark.sim
@pytest.mark.parametrize("testcase", SINGLE)
def test_soc(sim_build, testcase):
    run(sim_build, (), "soc", testcase)


@pytest.mark.sim
@pytest.mark.parametrize("testcase", ["test_gemm_shapes", "test_illegal_instructions", "test_reset_mid_program"])
def test_soc_small_starved(sim_build, testcase):
    run(sim_build, SMALL_STARVED, "soc", testcase, config="default")


@pytest.mark.sim
def test_accel_sim_gemm_on_the_default(sim_build):
    """``accel sim default --gemm``, as ``make run`` does: K=20 does not fit the 16-row scratchpad resident,
    so the program streams; the CLI checks the result against numpy and reports the counters."""
    from click.testing import CliRunner

    from accel.cli import main

    sim_build("default", (), "soc")        # built once, shared with the CLI run
    result = CliRunner().invoke(main, ["sim", "default", "--gemm", "9x20x5"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.replace("│", " ").split())
    assert "matches numpy" in out and "370 instructions, row block 3, activations streamed" in out
    assert "exec unit busy" in out


@pytest.mark.sim
def test_soc_two_chips(sim_build):
    run(sim_build, ("network.nodes=2",), "soc_ring", "test_split_gemm_two_chips")
