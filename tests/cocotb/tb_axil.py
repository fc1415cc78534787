"""cocotb bench of the AXI4-Lite register bank (``accel_axil_example``), driven by cocotbext-axi."""

import itertools

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

from accel.sim.tb import TB

CONTROL, STATUS, IRQ, NARROW, COMMAND, UNMAPPED = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x40


class AxilTB(TB):
    def __init__(self, dut):
        super().__init__(dut)
        self.host = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "axil_"), dut.clk, dut.rst)
        self.commands: list[int] = []
        self.command_ready_probability = 1.0

    def idle_inputs(self):
        self.dut.status.value = 0
        self.dut.irq_status_set.value = 0
        self.dut.command__ready.value = 0

    def random_pauses(self, probability: float) -> None:
        """Back-pressure and gaps on every AXI channel from the host side."""
        def pauses():
            while True:
                yield self.rng.random() < probability
        wr, rd = self.host.write_if, self.host.read_if
        for channel in (wr.aw_channel, wr.w_channel, wr.b_channel, rd.ar_channel, rd.r_channel):
            channel.set_pause_generator(pauses())

    async def consume_commands(self) -> None:
        while True:
            await RisingEdge(self.dut.clk)
            self.dut.command__ready.value = int(self.rng.random() < self.command_ready_probability)
            await ReadOnly()
            if self.dut.command__valid.value and self.dut.command__ready.value:
                self.commands.append(int(self.dut.command__payload.value))

    async def read(self, address: int) -> tuple[int, AxiResp]:
        r = await self.host.read(address, 4)
        return int.from_bytes(r.data, "little"), r.resp


@cocotb.test()
async def test_read_write_and_byte_strobes(dut):
    tb = AxilTB(dut)
    await tb.start()
    tb.random_pauses(0.3)
    for _ in range(30):
        value = int(tb.rng.integers(0, 1 << 32))
        await tb.host.write_dword(CONTROL, value)
        assert await tb.read(CONTROL) == (value, AxiResp.OKAY)
    await tb.host.write_dword(CONTROL, 0x11223344)
    await tb.host.write(CONTROL + 1, b"\xaa")            # one byte lane
    await tb.host.write(CONTROL + 2, b"\xbb\xcc")        # two upper lanes
    assert (await tb.read(CONTROL))[0] == 0xCCBBAA44
    await tb.host.write_dword(NARROW, 0xFFFFFFFF)          # a 12-bit register keeps 12 bits
    assert (await tb.read(NARROW))[0] == 0xFFF


@cocotb.test()
async def test_status_and_write_one_to_clear(dut):
    tb = AxilTB(dut)
    await tb.start()
    dut.status.value = 0xDEADBEEF
    assert await tb.read(STATUS) == (0xDEADBEEF, AxiResp.OKAY)
    for bits in (0x05, 0x80):                             # hardware raises causes (one-cycle pulses)
        await RisingEdge(dut.clk)
        dut.irq_status_set.value = bits
        await RisingEdge(dut.clk)
        dut.irq_status_set.value = 0
    assert (await tb.read(IRQ))[0] == 0x85
    await tb.host.write_dword(IRQ, 0x04)                   # clear one cause
    assert (await tb.read(IRQ))[0] == 0x81
    await tb.host.write_dword(IRQ, 0x00)                   # writing 0 changes nothing
    assert (await tb.read(IRQ))[0] == 0x81
    await tb.host.write_dword(IRQ, 0xFF)
    assert (await tb.read(IRQ))[0] == 0


@cocotb.test()
async def test_command_queue_back_pressure(dut):
    """Every write to the command register arrives once, in order; while the queue refuses, the write
    response waits (the host is stalled, nothing is lost)."""
    tb = AxilTB(dut)
    await tb.start()
    cocotb.start_soon(tb.consume_commands())
    tb.random_pauses(0.2)
    tb.command_ready_probability = 0.3
    sent = [int(x) for x in tb.rng.integers(0, 1 << 32, 60)]
    for value in sent:
        await tb.host.write_dword(COMMAND, value)
    await ClockCycles(dut.clk, 5)
    assert tb.commands == sent
    tb.command_ready_probability = 0.0
    await ClockCycles(dut.clk, 2)
    write = cocotb.start_soon(tb.host.write_dword(COMMAND, 0x1234))
    await ClockCycles(dut.clk, 50)
    assert not write.done(), "the write completed although the queue never took it"
    tb.command_ready_probability = 1.0
    await with_timeout(write, 200, "ns")
    await ClockCycles(dut.clk, 3)
    assert tb.commands[-1] == 0x1234 and len(tb.commands) == len(sent) + 1


@cocotb.test()
async def test_errors_answer_slverr_and_bus_keeps_working(dut):
    tb = AxilTB(dut)
    await tb.start()
    assert (await tb.host.write(UNMAPPED, b"\x01\x00\x00\x00")).resp == AxiResp.SLVERR
    assert (await tb.host.write(STATUS, b"\x01\x00\x00\x00")).resp == AxiResp.SLVERR
    assert (await tb.read(UNMAPPED))[1] == AxiResp.SLVERR
    assert (await tb.read(COMMAND))[1] == AxiResp.SLVERR
    await tb.host.write_dword(CONTROL, 42)
    assert await tb.read(CONTROL) == (42, AxiResp.OKAY)


@cocotb.test()
async def test_concurrent_traffic_and_reset(dut):
    """Reads and writes in flight at once with random pauses; then a reset returns every register to 0."""
    tb = AxilTB(dut)
    await tb.start()
    tb.random_pauses(0.4)
    expected = {}

    async def writer(address, values):
        for v in values:
            await tb.host.write_dword(address, v)
            expected[address] = v

    values = [int(x) for x in tb.rng.integers(0, 1 << 12, 20)]
    w1 = cocotb.start_soon(writer(CONTROL, [v << 20 for v in values]))
    w2 = cocotb.start_soon(writer(NARROW, values))
    for _ in itertools.repeat(None, 20):
        value, resp = await tb.read(CONTROL)
        assert resp == AxiResp.OKAY and value & 0xFFFFF == 0
    await w1
    await w2
    assert (await tb.read(CONTROL))[0] == expected[CONTROL]
    assert (await tb.read(NARROW))[0] == expected[NARROW]
    await ClockCycles(dut.clk, 2)
    await tb.reset()
    for address in (CONTROL, NARROW, IRQ):
        assert (await tb.read(address))[0] == 0
