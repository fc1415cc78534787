"""cocotb bench measuring one HBM pseudo-channel under a traffic pattern, from the RTL's own counters.

Used by ``benchmarks/hbm_bandwidth.py``: pattern, request count and write share come from
``ACCEL_HBM_PATTERN``, ``ACCEL_HBM_REQUESTS``, ``ACCEL_HBM_WRITE_FRACTION``; figures go as JSON to
``ACCEL_RESULT``. The device model checks every command, so a figure is only reported for legal traffic.
"""

import json
import os

import cocotb

from accel.sim.hbm_tb import HbmTB


@cocotb.test(timeout_time=10, timeout_unit="sec")
async def run_traffic(dut):
    tb = HbmTB(dut)
    pattern = os.environ.get("ACCEL_HBM_PATTERN", "random")
    count = int(os.environ.get("ACCEL_HBM_REQUESTS", "4000"))
    write_fraction = float(os.environ.get("ACCEL_HBM_WRITE_FRACTION", "0.0"))
    await tb.start()
    before, start = tb.counters(), tb.cycle
    await tb.traffic(pattern, count, write_fraction=write_fraction)
    await tb.drain()
    cycles = tb.cycle - start
    after = tb.counters()
    delta = {name: after[name] - before[name] for name in after}
    columns = delta["reads"] + delta["writes"]
    result = {
        "preset": tb.hbm.preset, "page_policy": tb.hbm.page_policy, "address_mapping": tb.hbm.address_mapping,
        "pattern": pattern, "requests": count, "write_fraction": write_fraction, "cycles": cycles,
        "counters": delta,
        # Peak: one burst (data_width * burst_length bits) every burst_length / 2 cycles.
        "bandwidth_fraction": columns * (tb.burst_length // 2) / cycles if cycles else 0.0,
        "row_hit_rate": delta["row_hits"] / columns if columns else 0.0,
        "violations": len(tb.device.violations),
    }
    path = os.environ.get("ACCEL_RESULT")
    if path:
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2)
    tb.assert_clean()
