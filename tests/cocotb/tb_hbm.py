"""cocotb bench for one HBM pseudo-channel controller with the timing-checking device model.

The number of requests per traffic test comes from ACCEL_HBM_REQUESTS (the pytest wrapper sets it);
a directed test shortens one timing in the controller (ACCEL_HBM_SHORTEN=rule) and expects the model
to flag exactly that rule.
"""

import os

import cocotb
from cocotb.triggers import ClockCycles

from accel.sim.hbm_tb import HbmTB

TIMEOUT = dict(timeout_time=2000, timeout_unit="ms")
REQUESTS = int(os.environ.get("ACCEL_HBM_REQUESTS", "2000"))


@cocotb.test(**TIMEOUT)
async def test_random_mixed_traffic(dut):
    """Sequential, strided, random and hot-spot traffic with a read/write mix: no violation, exact data."""
    tb = HbmTB(dut)
    await tb.start()
    for pattern in ("sequential", "strided", "random", "hotspot"):
        await tb.traffic(pattern, REQUESTS // 4, write_fraction=0.4, gap=0.1)
    await tb.drain()
    tb.assert_clean()
    stats = tb.counters()
    tb.log.info("requests %d, counters %s, device commands %s", len(tb.expected), stats, dict(tb.device.counts))
    assert stats["reads"] + stats["writes"] == len(tb.expected)
    assert stats["row_hits"] > 0 and stats["activates"] > 0


@cocotb.test(**TIMEOUT)
async def test_response_backpressure(dut):
    """A slow response consumer (ready 30% of cycles) stalls the controller without loss or reordering."""
    tb = HbmTB(dut)
    tb.resp_ready_probability = 0.3
    await tb.start()
    await tb.traffic("random", REQUESTS // 2, write_fraction=0.5)
    await tb.traffic("hotspot", REQUESTS // 2, write_fraction=0.5)
    await tb.drain()
    tb.assert_clean()


@cocotb.test(**TIMEOUT)
async def test_refresh_under_full_load(dut):
    """With a short tREFI and requests every cycle, every refresh deadline is still met."""
    tb = HbmTB(dut)
    await tb.start()
    start = tb.cycle
    await tb.traffic("random", REQUESTS // 2, write_fraction=0.5)
    await tb.traffic("sequential", REQUESTS // 2, write_fraction=0.5)
    await tb.drain()
    tb.assert_clean()
    elapsed = tb.cycle - start
    refreshes = tb.counters()["refreshes"]
    assert refreshes >= elapsed // tb.timing["tREFI"], (refreshes, elapsed)


def shortened(rule: str, timing: dict) -> tuple[dict, dict]:
    """(device timing, controller timing) for a test in which the controller under-enforces ``rule``."""
    device, controller = {}, {}
    if rule == "tRC":
        # With tRC == tRAS + tRP (the presets) tRC is implied by the other two; make it binding first.
        device["tRC"] = timing["tRAS"] + timing["tRP"] + 10
        controller["tRC"] = timing["tRAS"] + timing["tRP"]
    elif rule == "tFAW":
        # Likewise four ACTs at tRRD_S already span tFAW in the presets.
        device["tFAW"] = 4 * timing["tRRD_S"] + 12
        controller["tFAW"] = 4 * timing["tRRD_S"]
    elif rule == "tRTW":
        # The RD->WR bus turnaround is derived from tCL in the controller (read data returns by tag).
        controller["tCL"] = 1
    elif rule == "tREFI":
        controller["tREFI"] = 2 * timing["tREFI"]
    elif rule in ("tRRD_S", "tCCD_S"):
        controller[rule] = 1
    else:
        controller[rule] = max(1, timing[rule] // 2)
    return device, controller


@cocotb.test(**TIMEOUT)
async def test_shortened_timing_is_caught(dut):
    """The controller is told a shorter value of one timing rule; the model must flag that rule."""
    rule = os.environ["ACCEL_HBM_SHORTEN"]
    device, controller = shortened(rule, HbmTB(dut).timing)
    tb = HbmTB(dut, controller_timing=controller, device_timing=device)
    await tb.start()
    await tb.traffic("random", 150, write_fraction=0.5)
    await tb.traffic("hotspot", 150, write_fraction=0.5)
    await tb.traffic("sequential", 150, write_fraction=0.5)
    await ClockCycles(dut.clk, 2 * tb.timing["tREFI"] if rule == "tREFI" else 100)
    flagged = {v.rule for v in tb.device.violations}
    tb.log.info("shortened %s: controller %s, device %s; flagged %s", rule, controller, device, sorted(flagged))
    assert rule in flagged, f"the controller under-enforcing {rule} went unnoticed; flagged: {sorted(flagged)}"
