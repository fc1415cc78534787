"""An AXI4-Lite register bank: how a host reads and writes the accelerator's control/status registers.

The register map is data (:class:`Register` entries); the bank turns it into ports:

* ``rw``   — host read/write storage; out port ``<name>`` (write strobes honoured per byte).
* ``ro``   — host read-only; in port ``<name>`` (hardware status, counters).
* ``w1c``  — sticky status bits (interrupt causes): in port ``<name>_set`` sets bits, a host write of 1
  clears them; out port ``<name>``.
* ``push`` — a write queue entry (command FIFO): each host write becomes one beat on the out stream
  ``<name>``; the write response waits until the stream takes the beat, which is AXI's back-pressure.

Writes to read-only or unmapped addresses and reads of ``push`` or unmapped addresses complete with
SLVERR, never hang. Address and data channels of a write may arrive in either order. One read and one
write are handled at a time (the simplest legal AXI4-Lite subordinate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

OKAY, SLVERR = 0b00, 0b10


def axi_lite_signature(addr_width: int, data_width: int = 32) -> wiring.Signature:
    """AXI4-Lite as the manager drives it (cocotbext-axi names: ``<prefix>_awaddr``, ...)."""
    return wiring.Signature({
        "awaddr": Out(addr_width), "awprot": Out(3), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wvalid": Out(1), "wready": In(1),
        "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "araddr": Out(addr_width), "arprot": Out(3), "arvalid": Out(1), "arready": In(1),
        "rdata": In(data_width), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
    })


@dataclass(frozen=True)
class Register:
    name: str
    offset: int                                  # byte address, a multiple of 4
    access: Literal["rw", "ro", "w1c", "push"]
    width: int = 32
    description: str = ""


@dataclass(frozen=True)
class RegisterMap:
    """A checked register map: unique names and offsets, word-aligned offsets within ``addr_width`` bits,
    widths 1-32. Checked when made, so a bank is never built from a bad one."""
    registers: tuple[Register, ...]
    addr_width: int = 12

    def __post_init__(self):
        object.__setattr__(self, "registers", tuple(self.registers))
        check_register_map(self.registers, self.addr_width)


def check_register_map(registers, addr_width: int) -> None:
    names = [r.name for r in registers]
    if len(set(names)) != len(names) or len({r.offset for r in registers}) != len(registers):
        raise ValueError("register names and offsets must be unique")
    for r in registers:
        if r.offset % 4 or r.offset >= 1 << addr_width or not 1 <= r.width <= 32:
            raise ValueError(f"register {r.name}: offset must be word-aligned and in range, width 1-32")
        if r.access not in ("rw", "ro", "w1c", "push"):
            raise ValueError(f"register {r.name}: unknown access {r.access!r}")


class AxiLiteRegisters(wiring.Component):
    """The register bank of a :class:`RegisterMap` behind an AXI4-Lite subordinate port ``axil`` (see the
    module text for the ports each kind of register gets)."""

    def __init__(self, register_map: RegisterMap):
        self.registers = list(register_map.registers)
        self.addr_width = addr_width = register_map.addr_width
        registers = self.registers
        members = {"axil": In(axi_lite_signature(addr_width))}
        for r in registers:
            if r.access == "rw":
                members[r.name] = Out(r.width)
            elif r.access == "ro":
                members[r.name] = In(r.width)
            elif r.access == "w1c":
                members[r.name] = Out(r.width)
                members[f"{r.name}_set"] = In(r.width)
            else:
                members[r.name] = Out(stream.Signature(r.width))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        bus = self.axil

        # ------------------------------------------------------------------ writes
        aw_full = Signal()       # a write address is held
        w_full = Signal()        # write data is held
        aw_addr = Signal(self.addr_width)
        w_data, w_strb = Signal(32), Signal(4)
        m.d.comb += [bus.awready.eq(~aw_full), bus.wready.eq(~w_full)]
        with m.If(bus.awvalid & bus.awready):
            m.d.sync += [aw_full.eq(1), aw_addr.eq(bus.awaddr)]
        with m.If(bus.wvalid & bus.wready):
            m.d.sync += [w_full.eq(1), w_data.eq(bus.wdata), w_strb.eq(bus.wstrb)]
        bytes_mask = Cat(*(Mux(w_strb[i], 0xFF, 0x00) for i in range(4)))
        # A write is performed once address and data are both in and the response channel is free; a
        # queue entry also waits for the queue. (Plain expressions, not defaults overridden under
        # conditions: Icarus never evaluates such a block if no input ever changes, leaving X.)
        doing = aw_full & w_full & ~bus.bvalid
        word = aw_addr >> 2
        hits = {r.name: word == r.offset // 4 for r in self.registers}
        writable = Cat(hits[r.name] for r in self.registers if r.access != "ro").any()
        queue_waits = Cat(hits[r.name] & ~getattr(self, r.name).ready
                          for r in self.registers if r.access == "push").any()
        done = Signal()
        m.d.comb += done.eq(doing & ~queue_waits)
        resp = Mux(writable, OKAY, SLVERR)
        for r in self.registers:
            hit = hits[r.name]
            port = getattr(self, r.name)
            if r.access == "rw":
                with m.If(doing & hit):
                    m.d.sync += port.eq((port & ~bytes_mask[:r.width]) | (w_data & bytes_mask)[:r.width])
            elif r.access == "w1c":
                clear = Mux(doing & hit, (w_data & bytes_mask)[:r.width], 0)
                m.d.sync += port.eq((port & ~clear) | getattr(self, f"{r.name}_set"))
            elif r.access == "push":
                m.d.comb += [port.payload.eq(w_data[:r.width]), port.valid.eq(doing & hit)]
        with m.If(done):
            m.d.sync += [aw_full.eq(0), w_full.eq(0), bus.bvalid.eq(1), bus.bresp.eq(resp)]
        with m.If(bus.bvalid & bus.bready):
            m.d.sync += bus.bvalid.eq(0)

        # ------------------------------------------------------------------ reads
        m.d.comb += bus.arready.eq(~bus.rvalid)
        with m.If(bus.arvalid & bus.arready):
            rword = bus.araddr >> 2
            m.d.sync += [bus.rvalid.eq(1), bus.rdata.eq(0), bus.rresp.eq(SLVERR)]
            for r in self.registers:
                if r.access == "push":
                    continue
                with m.If(rword == r.offset // 4):
                    m.d.sync += [bus.rdata.eq(getattr(self, r.name)), bus.rresp.eq(OKAY)]
        with m.If(bus.rvalid & bus.rready):
            m.d.sync += bus.rvalid.eq(0)
        return m


#: A map with one register of each kind: the bench's top (``accel rtl --top axil_example``).
EXAMPLE_REGISTERS = [
    Register("control", 0x00, "rw", description="host settings"),
    Register("status", 0x04, "ro", description="hardware state"),
    Register("irq_status", 0x08, "w1c", 8, description="interrupt causes, write 1 to clear"),
    Register("narrow", 0x0C, "rw", 12, description="a register narrower than the bus"),
    Register("command", 0x10, "push", description="command queue entry"),
]
