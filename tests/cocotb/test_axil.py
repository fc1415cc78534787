"""Runs the AXI4-Lite register bank bench (tb_axil.py) under Verilator and Icarus."""

import pytest


from test_core import BENCH_DIR, seed_for

TESTS = ["test_read_write_and_byte_strobes", "test_status_and_write_one_to_clear",
         "test_command_queue_back_pressure", "test_errors_answer_slverr_and_bus_keeps_working",
         "test_concurrent_traffic_and_reset"]


@pytest.mark.sim
@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_axil(sim_build, simulator, testcase):
    build = sim_build("array4x4", (), "axil_example", simulator)
    build.run("tb_axil", BENCH_DIR, testcase=testcase, env={"ACCEL_SEED": str(seed_for(testcase))})
