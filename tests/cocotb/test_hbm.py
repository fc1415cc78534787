"""Runs the HBM controller bench (tb_hbm.py) under Verilator through pytest."""

import os

import pytest


from test_core import BENCH_DIR, seed_for

# Two presets, both page policies and both address maps; requests per traffic test in each.
CASES = [
    pytest.param(("hbm.preset=hbm2_2gbps",), id="hbm2-open-rbc"),
    pytest.param(("hbm.preset=hbm3", "hbm.page_policy=closed", "hbm.address_mapping=bank_interleaved"),
                 id="hbm3-closed-interleaved"),
]
# Per configuration: REQUESTS in the mixed-traffic test, REQUESTS / 2 with back-pressure, REQUESTS / 2
# under refresh load; 2 x 2 x 25000 = 10^5 checked requests in all.
REQUESTS = int(os.environ.get("ACCEL_HBM_REQUESTS", "25000"))
# The refresh test shortens tREFI (to the smallest both presets accept) so refresh comes often under load.
REFRESH = ("hbm.timing.tREFI=3000",)
RULES = ["tRCD", "tRP", "tRAS", "tRC", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L", "tFAW", "tWR", "tRTP", "tWTR",
         "tRFC", "tREFI", "tRTW", "tWL"]


def hbm_build(sim_build, overrides):
    return sim_build("array4x4", list(overrides) + ["hbm.pseudo_channels=1"], "hbm_pc")


@pytest.mark.sim
@pytest.mark.parametrize("testcase, requests", [("test_random_mixed_traffic", REQUESTS),
                                                ("test_response_backpressure", REQUESTS // 2)])
@pytest.mark.parametrize("overrides", CASES)
def test_hbm_traffic(sim_build, overrides, testcase, requests):
    build = hbm_build(sim_build, overrides)
    build.run("tb_hbm", BENCH_DIR, testcase=testcase,
              env={"ACCEL_SEED": str(seed_for(testcase)), "ACCEL_HBM_REQUESTS": str(requests)})


@pytest.mark.sim
@pytest.mark.parametrize("overrides", CASES)
def test_hbm_refresh_under_load(sim_build, overrides):
    build = hbm_build(sim_build, overrides + REFRESH)
    build.run("tb_hbm", BENCH_DIR, testcase="test_refresh_under_full_load",
              env={"ACCEL_SEED": "7", "ACCEL_HBM_REQUESTS": str(REQUESTS // 2)})


@pytest.mark.sim
@pytest.mark.parametrize("rule", RULES)
def test_hbm_shortened_timing_is_caught(sim_build, rule):
    build = hbm_build(sim_build, CASES[0].values[0])
    build.run("tb_hbm", BENCH_DIR, testcase="test_shortened_timing_is_caught",
              env={"ACCEL_SEED": "11", "ACCEL_HBM_SHORTEN": rule})
