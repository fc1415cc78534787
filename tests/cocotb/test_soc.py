"""Runs the SoC bench (tb_soc.py): GEMMs, convolutions, errors and reset on one chip; a GEMM split over
two chips on a ring; and a small single chip (no network, shortest queues, 16-bit accumulators and
counters) with a starved HBM (one pseudo-channel, short queues, frequent refresh), so the DMA engines
see back-pressure."""

import pytest

from test_core import BENCH_DIR, seed_for

SINGLE = ["test_gemm_shapes", "test_gemm_extremes", "test_conv_layers", "test_illegal_instructions",
          "test_reset_mid_program"]
SMALL_STARVED = ("hbm.pseudo_channels=1", "hbm.queue_depth=2", "hbm.timing.tREFI=2000", "network.nodes=1",
                 "soc.command_queue_depth=2", "soc.unit_queue_depth=1", "soc.counter_width=16", "array.acc_width=16")


def run(sim_build, overrides, top, testcase):
    build = sim_build("default", overrides, top)
    build.run("tb_soc", BENCH_DIR, testcase=testcase, env={"ACCEL_SEED": str(seed_for(testcase))})


@pytest.mark.sim
@pytest.mark.parametrize("testcase", SINGLE)
def test_soc(sim_build, testcase):
    run(sim_build, (), "soc", testcase)


@pytest.mark.sim
@pytest.mark.parametrize("testcase", ["test_gemm_shapes", "test_illegal_instructions", "test_reset_mid_program"])
def test_soc_small_starved(sim_build, testcase):
    run(sim_build, SMALL_STARVED, "soc", testcase)


@pytest.mark.sim
def test_soc_two_chips(sim_build):
    run(sim_build, ("network.nodes=2",), "soc_ring", "test_split_gemm_two_chips")
