"""The testbench base class every cocotb bench derives from: config, seed, clock, reset."""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from ..config import AccelConfig


class TB:
    """Owns the DUT handle, the resolved config, a seeded RNG and the clock.

    The seed comes from ``ACCEL_SEED`` (set by the pytest wrapper, fixed per test) or cocotb's own seed,
    and is logged so a failure can be replayed exactly.
    """

    def __init__(self, dut, seed: int | None = None):
        self.dut = dut
        self.log = dut._log
        self.config = AccelConfig.model_validate_json(os.environ["ACCEL_CONFIG_JSON"])
        manifest_path = os.environ.get("ACCEL_MANIFEST")
        self.manifest = json.loads(open(manifest_path).read()) if manifest_path else {}
        if seed is None:
            seed = int(os.environ.get("ACCEL_SEED", cocotb.RANDOM_SEED))
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.log.info("config %s (%s), seed %d", self.config.name, self.config.config_hash(), seed)
        self.period_ps = round(self.config.clock.period_ns * 1000)

    @property
    def cycle(self) -> int:
        """Clock cycles since time zero (derived from simulation time: no per-cycle coroutine)."""
        return int(get_sim_time("ps")) // self.period_ps

    async def start(self, reset_cycles: int = 3) -> None:
        """Start the clock (config period) and apply a synchronous reset."""
        Clock(self.dut.clk, self.period_ps, unit="ps").start()
        await self.reset(reset_cycles)

    async def reset(self, cycles: int = 3) -> None:
        self.idle_inputs()
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def idle_inputs(self) -> None:
        """Drive every input to its idle value (subclasses list their ports)."""
