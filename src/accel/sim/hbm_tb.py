"""Bus-level driver for one HBM pseudo-channel controller (``accel_hbm_pc``) with the device model attached.

Traffic generators make request streams with a given read/write mix and locality; a scoreboard checks,
in request order, that every response has the right ID and that every read returns the last data written
to its address (or the model's initial content).
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from ..config import TIMING_KEYS
from ..arch.address import AddressMap
from ..hw.hbm.controller import COUNTERS, port_name
from .hbm_model import HbmDevice
from .tb import TB


class HbmTB(TB):
    def __init__(self, dut, seed: int | None = None, controller_timing: dict[str, int] | None = None,
                 device_timing: dict[str, int] | None = None):
        """``device_timing``/``controller_timing``: overrides of the config's timing for the model (the
        truth) and for the controller's timing inputs (what it is told), to prove violations are caught."""
        super().__init__(dut, seed)
        hbm = self.config.hbm
        self.hbm = hbm
        self.amap = AddressMap.from_config(hbm)
        self.timing = {**hbm.resolved_timing(), **(device_timing or {})}
        self.controller_timing = {**hbm.resolved_timing(), **(controller_timing or {})}
        self.burst_length = hbm.resolved_burst_length()
        self.burst_bits = hbm.data_width * self.burst_length
        self.id_width = 4
        fields = self.manifest["payload_fields"]
        self.req_fields = fields["req"]
        self.resp_fields = fields["resp"]
        self.device = HbmDevice(dut, self.timing, self.amap, hbm.banks_per_group, hbm.bank_groups,
                                self.burst_bits, self.burst_length)
        self.resp_ready_probability = 1.0
        self.expected: list[tuple[int, int, int | None]] = []   # (write, id, data or None)
        self.shadow: dict[int, int] = {}
        self.responses = 0
        self.errors: list[str] = []

    def idle_inputs(self) -> None:
        self.dut.req__valid.value = 0
        self.dut.req__payload.value = 0
        self.dut.resp__ready.value = 0
        for key in TIMING_KEYS:
            getattr(self.dut, port_name(key)).value = self.controller_timing[key]

    async def start(self, reset_cycles: int = 3) -> None:
        self.device.start()
        await super().start(reset_cycles)
        cocotb.start_soon(self._collect())

    # ------------------------------------------------------------------ requests
    def location(self, addr: int) -> tuple[int, int, int]:
        d = self.amap.decode(addr)
        return d["bg"] * self.hbm.banks_per_group + d["bank"], d["row"], d["col"]

    def pack_request(self, write: int, addr: int, ident: int, wdata: int) -> int:
        f = self.req_fields
        return (write << f["write"]["offset"] | addr << f["addr"]["offset"] | ident << f["id"]["offset"]
                | wdata << f["wdata"]["offset"])

    async def request(self, write: bool, addr: int, wdata: int = 0) -> None:
        ident = len(self.expected) % (1 << self.id_width)
        if write:
            self.shadow[addr] = wdata
            self.expected.append((1, ident, None))
        else:
            data = self.shadow.get(addr)
            if data is None:
                data = HbmDevice.initial(self.location(addr), self.burst_bits)
            self.expected.append((0, ident, data))
        self.dut.req__valid.value = 1
        self.dut.req__payload.value = self.pack_request(int(write), addr, ident, wdata)
        while True:
            await ReadOnly()
            taken = int(self.dut.req__ready.value)
            await RisingEdge(self.dut.clk)
            if taken:
                break
        self.dut.req__valid.value = 0

    async def _collect(self) -> None:
        f = self.resp_fields
        while True:
            ready = 1 if self.resp_ready_probability >= 1 else int(self.rng.random() < self.resp_ready_probability)
            self.dut.resp__ready.value = ready
            await ReadOnly()
            if ready and int(self.dut.resp__valid.value):
                word = int(self.dut.resp__payload.value)
                write = (word >> f["write"]["offset"]) & 1
                ident = (word >> f["id"]["offset"]) & ((1 << f["id"]["width"]) - 1)
                rdata = (word >> f["rdata"]["offset"]) & ((1 << f["rdata"]["width"]) - 1)
                self.check_response(write, ident, rdata)
            await RisingEdge(self.dut.clk)

    def check_response(self, write: int, ident: int, rdata: int) -> None:
        index = self.responses
        self.responses += 1
        if index >= len(self.expected):
            self.errors.append(f"response {index} without a request")
            return
        want_write, want_id, want_data = self.expected[index]
        if (write, ident) != (want_write, want_id):
            self.errors.append(f"response {index}: got write={write} id={ident}, want write={want_write} id={want_id}")
        elif not write and rdata != want_data:
            self.errors.append(f"response {index}: read data {rdata:#x}, want {want_data:#x}")

    async def drain(self, limit: int = 200_000) -> None:
        for _ in range(limit):
            if self.responses >= len(self.expected):
                return
            await RisingEdge(self.dut.clk)
        raise AssertionError(f"{len(self.expected) - self.responses} responses missing after {limit} cycles")

    # ------------------------------------------------------------------ traffic
    def addresses(self, pattern: str, count: int, stride: int = 0):
        space = 1 << self.amap.width
        rng = self.rng
        if pattern == "sequential":
            base = int(rng.integers(0, space))
            return [(base + i) % space for i in range(count)]
        if pattern == "strided":
            base = int(rng.integers(0, space))
            step = stride or (1 << (self.amap.col_bits + self.amap.bg_bits + self.amap.bank_bits))
            return [(base + i * step) % space for i in range(count)]
        if pattern == "random":
            return [int(a) for a in rng.integers(0, space, size=count)]
        if pattern == "hotspot":
            # A few rows, revisited: many row hits and same-address read-after-write chains.
            hot = [int(a) for a in rng.integers(0, space, size=8)]
            return [hot[int(rng.integers(0, 8))] ^ int(rng.integers(0, 4)) for _ in range(count)]
        raise ValueError(pattern)

    async def traffic(self, pattern: str, count: int, write_fraction: float = 0.5, gap: float = 0.0,
                      stride: int = 0) -> None:
        for addr in self.addresses(pattern, count, stride):
            write = bool(self.rng.random() < write_fraction)
            wdata = int(self.rng.integers(0, 1 << 62)) << (self.burst_bits - 62) | int(self.rng.integers(0, 1 << 30))
            await self.request(write, addr, wdata if write else 0)
            while gap and self.rng.random() < gap:
                await RisingEdge(self.dut.clk)

    def counters(self) -> dict[str, int]:
        return {name: int(getattr(self.dut, f"stat_{name}").value) for name in COUNTERS}

    def assert_clean(self) -> None:
        problems = [str(v) for v in self.device.violations[:5]] + self.errors[:5]
        assert not problems, (f"{len(self.device.violations)} timing/state violations, {len(self.errors)} "
                              f"scoreboard errors (seed {self.seed}): " + "; ".join(problems))
