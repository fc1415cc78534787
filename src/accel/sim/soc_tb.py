"""The SoC driver for cocotb: HBM device models, the host's CSR port, and running compiled programs.

:class:`Chip` is one accelerator as a host sees it: an AXI4-Lite master (cocotbext-axi) on its CSR
port, an HBM device model per pseudo-channel (whose memory is the chip's HBM: tensors are written there
directly, as a host's DMA would), and methods to push a program, wait for the interrupt and read back.
:class:`SocTB` builds one chip (top ``soc``) or one per ring node (top ``soc_ring``, ports ``c<i>__*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cocotb.triggers import ClockCycles, First, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from ..arch.address import AddressMap
from ..hw.soc import COUNTERS, IRQ_DONE, IRQ_ERROR, REGISTER_OFFSETS
from ..sw.compiler import GemmPlan, check_driver_layout
from ..arch.geometry import Geometry
from ..arch.isa import INSTRUCTION_BITS, Error, Instruction
from .hbm_model import HbmDevice
from .tb import TB


class ProgramError(AssertionError):
    pass


@dataclass
class RunResult:
    cycles: int
    status: int
    error: Error
    error_pc: int
    counters: dict[str, int]


class Chip:
    def __init__(self, tb: "SocTB", prefix: str):
        self.tb, self.dut, self.prefix = tb, tb.dut, prefix
        config = tb.config
        self.g = tb.geometry
        self.host = AxiLiteMaster(AxiLiteBus.from_prefix(tb.dut, f"{prefix}axil_"), tb.dut.clk, tb.dut.rst)
        self.irq = getattr(tb.dut, f"{prefix}irq")
        hbm = config.hbm
        self.amap = AddressMap.from_config(hbm)
        self.hbm = [HbmDevice(tb.dut, hbm.resolved_timing(), self.amap, hbm.banks_per_group, hbm.bank_groups,
                              self.g.burst_bits, hbm.resolved_burst_length(), prefix=f"{prefix}pc{c}_")
                    for c in range(self.g.channels)]

    # ------------------------------------------------------------------ HBM contents (the host's view)
    def _where(self, address: int) -> tuple[HbmDevice, tuple[int, int, int]]:
        device = self.hbm[address % self.g.channels]
        d = self.amap.decode(address >> self.g.channel_bits)
        return device, (d["bg"] * self.tb.config.hbm.banks_per_group + d["bank"], d["row"], d["col"])

    def write_hbm(self, image: dict[int, int]) -> None:
        for address, word in image.items():
            device, location = self._where(address)
            device.memory[location] = word

    def read_hbm(self, address: int) -> int:
        device, location = self._where(address)
        return device.read_value(location)

    def violations(self) -> list:
        return [v for device in self.hbm for v in device.violations]

    # ------------------------------------------------------------------ CSR port
    async def read(self, name: str) -> int:
        return int.from_bytes(await self.host.read(REGISTER_OFFSETS[name], 4), "little")

    async def write(self, name: str, value: int) -> None:
        await self.host.write(REGISTER_OFFSETS[name], value.to_bytes(4, "little"))

    async def counters(self) -> dict[str, int]:
        return {name: await self.read(name) for name in COUNTERS}

    async def push(self, program: list[Instruction]) -> None:
        for instruction in program:
            for word in instruction.words():
                await self.write("command", word)

    @property
    def program_base(self) -> int:
        """Where :meth:`load_program` puts programs: the upper half of HBM, away from the compiler's tensors."""
        return self.g.program_base

    def load_program(self, program: list[Instruction]) -> None:
        """Write ``program`` into HBM for the fetch unit (``burst_bits // 128`` instructions a burst)."""
        per_burst = self.g.instructions_per_burst
        if self.program_base + -(-len(program) // per_burst) > self.g.hbm_bursts:
            raise ProgramError(f"a program of {len(program)} instructions does not fit the upper half of HBM "
                               f"({self.g.hbm_bursts // 2} bursts)")
        image: dict[int, int] = {}
        for index, instruction in enumerate(program):
            address = self.program_base + index // per_burst
            image[address] = image.get(address, 0) | instruction.encode() << (INSTRUCTION_BITS * (index % per_burst))
        self.write_hbm(image)

    async def start_fetch(self, program: list[Instruction]) -> None:
        self.load_program(program)
        await self.write("program_addr", self.program_base)
        await self.write("program_count", len(program))
        await self.write("fetch", 1)

    async def wait_interrupt(self, timeout_cycles: int) -> int:
        """Wait for the interrupt; return (and clear) irq_status."""
        if not int(self.irq.value):
            await First(RisingEdge(self.irq), ClockCycles(self.dut.clk, timeout_cycles))
        status = await self.read("irq_status")
        if status:
            await self.write("irq_status", status)
        return status

    async def run(self, program: list[Instruction], timeout_cycles: int = 200_000,
                  expect_error: bool = False, fetch: bool = True) -> RunResult:
        """Run ``program`` (ending in END) and wait for its interrupt; figures are deltas over the run.
        ``fetch``: the chip fetches the program from HBM; else the host pushes it word by word."""
        await self.write("irq_enable", IRQ_DONE | IRQ_ERROR)
        before = await self.counters()
        start = self.tb.cycle
        ends = await self.read("ends")
        if fetch:
            await self.start_fetch(program)
        else:
            await self.push(program)
        irq = await self.wait_interrupt(timeout_cycles)
        status = await self.read("status")
        after = await self.counters()
        result = RunResult(self.tb.cycle - start, status, Error(status >> 4 & 0xF), await self.read("error_pc"),
                           {name: (after[name] - before[name]) % (1 << self.g.counter_width)
                            for name in COUNTERS})
        if not irq:
            raise ProgramError(f"{self.prefix or 'chip'}: no interrupt within {timeout_cycles} cycles "
                               f"(status {status:#x}, taken {await self.read('taken')}, ends {ends})")
        if irq & IRQ_ERROR and not expect_error:
            raise ProgramError(f"{self.prefix or 'chip'}: error {result.error.name} at instruction "
                               f"{result.error_pc}: {program[result.error_pc] if result.error_pc < len(program) else '?'}")
        return result

    async def gemm(self, plan: GemmPlan, a, w, **kwargs):
        """Write A and W, run the plan's program, return (int8 result, RunResult)."""
        check_driver_layout(plan)
        self.write_hbm(plan.hbm_image(a, w))
        result = await self.run(plan.program, **kwargs)
        return plan.read_output(self.read_hbm), result


class SocTB(TB):
    def __init__(self, dut, seed: int | None = None):
        super().__init__(dut, seed)
        self.geometry = Geometry.from_config(self.config)
        ring = self.manifest.get("block") == "soc_ring"
        prefixes = [f"c{i}__" for i in range(self.config.network.nodes)] if ring else [""]
        self.chips = [Chip(self, prefix) for prefix in prefixes]
        self.chip = self.chips[0]

    def idle_inputs(self) -> None:
        for chip in self.chips:
            for device in chip.hbm:
                device.signal("dfi_rddata_valid").value = 0
        if self.manifest.get("block") != "soc_ring" and self.geometry.network:
            self.dut.node_id.value = 0
            for name in ("east_rx", "west_rx"):
                for port in ("valid", "sop", "data", "ctrl_valid", "ctrl"):
                    getattr(self.dut, f"{name}__{port}").value = 0
            for name in ("east_tx", "west_tx"):
                getattr(self.dut, f"{name}__ready").value = 1

    async def start(self, reset_cycles: int = 3) -> None:
        for chip in self.chips:
            for device in chip.hbm:
                device.start()
        await super().start(reset_cycles)

    def check_hbm_timing(self) -> None:
        problems = [str(v) for chip in self.chips for v in chip.violations()]
        assert not problems, f"{len(problems)} HBM protocol violations, first: {problems[:3]}"
