"""On-chip memories next to the array: the accumulator memory, and a row streamer for any memory.

Each accumulator row holds ``cols`` signed accumulators. An incoming partial-sum vector either
overwrites a row or is added to it; that is how a reduction longer than the array's ``rows`` (K > R) is
summed over several weight tiles without leaving the chip.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
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



class ReadPortSignature(wiring.Signature):
    """A synchronous memory read port as its user sees it: ``en`` and ``addr`` out, ``data`` in one
    cycle later."""

    def __init__(self, addr_width: int, data_width: int):
        self.addr_width, self.data_width = addr_width, data_width
        super().__init__({"en": Out(1), "addr": Out(addr_width), "data": In(data_width)})

    def __eq__(self, other):
        return isinstance(other, ReadPortSignature) and \
            (other.addr_width, other.data_width) == (self.addr_width, self.data_width)

    def __hash__(self):
        return hash(("ReadPortSignature", self.addr_width, self.data_width))


class RowReader(wiring.Component):
    """Streams ``count`` consecutive rows from a synchronous memory read port, starting at ``base``.

    A ``start`` pulse begins a transfer. The read port's ``en`` is only raised when the row can move on,
    and a synchronous read port holds its data while ``en`` is low, so the memory's own output register
    is the stream's buffer: one row per cycle, back-pressure without a skid buffer.

    With ``overlap``, a transfer may start as soon as the previous one has issued its last read (while
    that row still waits in the output register), and its first read goes out in the start cycle, so
    back-to-back transfers have no bubble. ``tag`` (``tag_width`` bits, sampled with each read) comes out
    as ``rows_tag`` beside its row: per-row information that must not change under a held row.
    ``issued`` is high when a read goes out; ``left`` counts reads still to issue.
    """

    def __init__(self, addr_width: int, data_width: int, count_width: int = 16, tag_width: int = 0,
                 overlap: bool = False):
        self.overlap = overlap
        super().__init__({
            "start": In(1),
            "base": In(addr_width),
            "count": In(count_width),
            "busy": Out(1),
            "left": Out(count_width),
            "issued": Out(1),
            "rd": Out(ReadPortSignature(addr_width, data_width)),
            "tag": In(max(1, tag_width)),
            "rows_tag": Out(max(1, tag_width)),
            "rows": Out(stream.Signature(data_width)),
        })

    def elaborate(self, platform):
        m = Module()
        pointer = Signal.like(self.base)
        left = self.left                    # rows not yet read from the memory
        holding = Signal()                  # rd.data holds a row not yet taken
        advance = ~holding | self.rows.ready
        accepted = self.start & (left == 0) & (~holding if not self.overlap else 1)
        first_now = accepted & advance & (self.count != 0) if self.overlap else 0
        m.d.comb += [
            self.rows.valid.eq(holding),
            self.rows.payload.eq(self.rd.data),
            self.rd.en.eq(advance),
            self.rd.addr.eq(Mux(first_now, self.base, pointer)),
            self.busy.eq(holding | (left != 0)),
            self.issued.eq(advance & ((left != 0) | first_now)),
        ]
        with m.If(self.issued):
            m.d.sync += self.rows_tag.eq(self.tag)
        with m.If(advance):
            m.d.sync += holding.eq((left != 0) | first_now)
            with m.If(left != 0):
                m.d.sync += [pointer.eq(pointer + 1), left.eq(left - 1)]
        with m.If(first_now):
            m.d.sync += [pointer.eq(self.base + 1), left.eq(self.count - 1)]
        with m.Elif(accepted):
            m.d.sync += [pointer.eq(self.base), left.eq(self.count)]
        return m
