"""cocotb bench of the requantizer (``accel_requant``) against ``accel.sim.golden.requantize``."""

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from accel.rtl import build_component
from accel.sim.golden import random_int, requantize
from accel.sim.tb import TB


class RequantTB(TB):
    def __init__(self, dut):
        super().__init__(dut)
        a = self.config.array
        self.lanes, self.acc_width, self.out_width = a.cols, a.acc_width, a.input_width
        self.cycles_per_row = build_component(self.config, "requant").cycles_per_row
        self.sent, self.got = [], []
        self.in_probability = self.out_probability = 1.0

    def idle_inputs(self):
        self.dut.input__valid.value = 0
        self.dut.input__payload.value = 0
        self.dut.output__ready.value = 0
        self.dut.scale.value = 1
        self.dut.shift.value = 0
        self.dut.relu.value = 0

    def pack(self, row):
        mask = (1 << self.acc_width) - 1
        return sum((int(v) & mask) << (i * self.acc_width) for i, v in enumerate(row))

    def unpack(self, word):
        w, half = self.out_width, 1 << (self.out_width - 1)
        return [((word >> (i * w)) & ((1 << w) - 1)) ^ half for i in range(self.lanes)]

    async def run(self, rows, scale, shift, relu, drain=True):
        """Stream ``rows`` through with random gaps and back-pressure; collect every output row."""
        dut = self.dut
        dut.scale.value, dut.shift.value, dut.relu.value = scale, shift, int(relu)
        pending = list(rows)
        offered = None
        idle = 0
        patience = 20 + 2 * self.cycles_per_row          # idle cycles before the last row counts as lost
        while pending or offered is not None or (drain and len(self.got) < len(self.sent) and idle < patience):
            await RisingEdge(dut.clk)
            if offered is None and pending and self.rng.random() < self.in_probability:
                offered = pending.pop(0)
                dut.input__valid.value = 1
                dut.input__payload.value = self.pack(offered)
            elif offered is None:
                dut.input__valid.value = 0
            dut.output__ready.value = int(self.rng.random() < self.out_probability)
            await ReadOnly()
            if offered is not None and dut.input__ready.value:
                self.sent.append(offered)
                offered = None
            if dut.output__valid.value and dut.output__ready.value:
                self.got.append([v - (1 << (self.out_width - 1)) for v in self.unpack(int(dut.output__payload.value))])
                idle = 0
            else:
                idle += 1
        await RisingEdge(dut.clk)
        dut.input__valid.value = 0

    async def run_and_check(self, rows, scale, shift, relu):
        self.sent, self.got = [], []
        await self.run(rows, scale, shift, relu)
        self.check(scale, shift, relu)

    def check(self, scale, shift, relu):
        want = requantize(self.sent, scale, shift, relu, self.out_width).tolist()
        assert len(self.got) == len(want), f"{len(self.got)} rows out for {len(want)} in"
        for n, (g, w) in enumerate(zip(self.got, want)):
            assert g == w, f"row {n}: acc {self.sent[n]} scale {scale} shift {shift} relu {relu}: got {g}, want {w}"


@cocotb.test()
async def test_random_settings(dut):
    """Random rows (10% exact extremes) under many random scale/shift/ReLU settings, with gaps and
    back-pressure."""
    tb = RequantTB(dut)
    await tb.start()
    tb.in_probability, tb.out_probability = 0.7, 0.6
    for _ in range(40):
        scale = int(tb.rng.integers(0, 1 << 16))
        shift = int(tb.rng.integers(0, 64))
        relu = bool(tb.rng.integers(2))
        rows = random_int(tb.rng, (int(tb.rng.integers(1, 30)), tb.lanes), tb.acc_width).tolist()
        await tb.run_and_check(rows, scale, shift, relu)


@cocotb.test()
async def test_rounding_ties_and_extremes(dut):
    """Exact halves round away from zero; the widest products and shifts at every boundary."""
    tb = RequantTB(dut)
    await tb.start()
    lo, hi = -(1 << (tb.acc_width - 1)), (1 << (tb.acc_width - 1)) - 1
    values = [-3, -2, -1, 0, 1, 2, 3, 5, -5, lo, hi, lo + 1, hi - 1, 127, 128, -128, -129]
    rows = [[values[(r * tb.lanes + i) % len(values)] for i in range(tb.lanes)] for r in range(len(values))]
    for scale in (0, 1, 3, (1 << 16) - 1):
        for shift in sorted({0, 1, 2, 8, 31, 32, tb.acc_width + 15, tb.acc_width + 16, tb.acc_width + 17, 63}):
            for relu in (False, True):
                await tb.run_and_check(rows, scale, shift, relu)


@cocotb.test()
async def test_full_throughput_and_reset_mid_stream(dut):
    """One row per cycle (per ``cols / soc.requant_lanes * 16 / soc.requant_scale_bits`` cycles) without
    back-pressure; a reset mid-stream (mid-row too) empties the pipeline."""
    tb = RequantTB(dut)
    await tb.start()
    rows = random_int(tb.rng, (64, tb.lanes), tb.acc_width).tolist()
    start = tb.cycle
    await tb.run(rows, 1000, 12, False)
    tb.check(1000, 12, False)
    budget = len(rows) * tb.cycles_per_row + 6
    assert tb.cycle - start <= budget, f"{len(rows)} rows took {tb.cycle - start} cycles, not <= {budget}"
    tb.sent, tb.got = [], []
    await tb.run(rows[:5], 7, 3, True, drain=False)
    await tb.reset()
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert not dut.output__valid.value, "a row survived the reset"
    await RisingEdge(dut.clk)
    await tb.run_and_check(rows[:20], 7, 3, True)
    # A reset with a row offered and only its first group taken: the next row starts from group 0.
    dut.scale.value, dut.shift.value, dut.relu.value = 7, 3, 1
    dut.input__valid.value = 1
    dut.input__payload.value = tb.pack(rows[40])
    await ReadOnly()
    assert tb.cycles_per_row == 1 or not dut.input__ready.value, "a multi-cycle row was accepted at once"
    await RisingEdge(dut.clk)
    await tb.reset()
    await tb.run_and_check(rows[41:50], 7, 3, True)
