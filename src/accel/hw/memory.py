"""On-chip memories next to the array: the accumulator memory.

Each accumulator row holds ``cols`` signed accumulators. An incoming partial-sum vector either
overwrites a row or is added to it; that is how a reduction longer than the array's ``rows`` (K > R) is
summed over several weight tiles without leaving the chip.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out


class Accumulator(wiring.Component):
    """Read-modify-write accumulator memory with one host read port.

    * ``in_valid/in_data/in_addr/in_accumulate``: a partial-sum vector and where it goes; every cycle may
      carry one (no back-pressure). Two cycles later the row holds ``old + in`` (or ``in``).
    * ``rd_en/rd_addr`` -> ``rd_valid/rd_data`` one cycle later.

    Back-to-back updates of the same row are correct: the read used for accumulation is transparent to
    the write port, so it sees the row written in the same cycle.
    """

    def __init__(self, depth: int, cols: int, acc_width: int = 32):
        self.depth, self.cols, self.acc_width = depth, cols, acc_width
        addr_width = max(1, (depth - 1).bit_length())
        super().__init__({
            "in_valid": In(1),
            "in_data": In(cols * acc_width),
            "in_addr": In(addr_width),
            "in_accumulate": In(1),
            "rd_en": In(1),
            "rd_addr": In(addr_width),
            "rd_valid": Out(1),
            "rd_data": Out(cols * acc_width),
            "writing": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        C, acc = self.cols, self.acc_width
        m.submodules.mem = mem = Memory(shape=C * acc, depth=self.depth, init=[])
        write = mem.write_port()
        old = mem.read_port(transparent_for=(write,))
        host = mem.read_port()

        # Stage 1: read the old row while the incoming vector waits one cycle beside it.
        m.d.comb += old.addr.eq(self.in_addr)
        valid = Signal()
        addr = Signal.like(self.in_addr)
        accumulate = Signal()
        data = Signal.like(self.in_data)
        m.d.sync += [
            valid.eq(self.in_valid),
            addr.eq(self.in_addr),
            accumulate.eq(self.in_accumulate),
            data.eq(self.in_data),
        ]
        # Stage 2: add lane by lane (each lane wraps at acc_width) and write back.
        lanes = []
        for c in range(C):
            lane = slice(c * acc, (c + 1) * acc)
            lanes.append(Mux(accumulate, old.data[lane] + data[lane], data[lane])[:acc])
        m.d.comb += [
            write.en.eq(valid),
            write.addr.eq(addr),
            write.data.eq(Cat(*lanes)),
            self.writing.eq(valid),
        ]

        m.d.comb += [host.addr.eq(self.rd_addr), host.en.eq(self.rd_en), self.rd_data.eq(host.data)]
        m.d.sync += self.rd_valid.eq(self.rd_en)
        return m

