"""The EXEC unit: feeds the compute core from the scratchpad (WEIGHTS and MATMUL instructions).

Two engines work side by side, as the array's shadow weights allow: the weight engine streams a tile's
``rows`` scratchpad rows into the shadow registers while the activation engine streams the previous
MATMUL's vectors. Instructions still issue in program order; the core itself holds a NEW_WEIGHTS vector
until its tile is in, and a tile until the previous switch has swept the array.

A MATMUL is done when its last result row is in the accumulator memory: rows are written in the order
their vectors were accepted, so the unit counts accepted and written rows and keeps a small queue of
"done at count N, signal S" marks. That way a signal never waits for later work to drain.
"""

from amaranth import Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ...arch.geometry import Geometry
from ...arch.isa import Flag, Opcode
from ..core import activation_layout
from ..memory import ReadPortSignature, RowReader
from .units import UnitSignature

MARK_WIDTH = 16
PENDING_MATMULS = 4


class ExecUnit(wiring.Component):
    """Ports: ``ctl`` to the scoreboard with two completions (``done[0]`` for WEIGHTS, ``done[1]`` for MATMUL), two
    scratchpad read ports (``w_rd``, ``a_rd``), and the core's ``weights``/``act`` streams, ``row_written``
    and ``core_busy``. ``active`` is high while the activation engine streams (for utilization counters)."""

    def __init__(self, geometry: Geometry, config):
        self.g = g = geometry
        members = {"ctl": Out(UnitSignature(completions=2)),
                   "w_rd": Out(ReadPortSignature(g.sp_addr_width, g.row_bits)),
                   "a_rd": Out(ReadPortSignature(g.sp_addr_width, g.row_bits))}
        members["weights"] = Out(stream.Signature(g.cols * g.input_width))
        members["act"] = Out(stream.Signature(activation_layout(config)))
        members["row_written"] = In(1)
        members["core_busy"] = In(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        g = self.g
        instr = self.ctl.instr.payload

        # Per activation row, decided when its read issues and carried beside it (the next MATMUL may
        # start while this one's last row still waits for the array).
        tag_layout = data.StructLayout({"acc_addr": unsigned(g.acc_addr_width), "accumulate": unsigned(1),
                                        "new_tile": unsigned(1), "last": unsigned(1), "signal": unsigned(4)})
        m.submodules.w_reader = w_reader = RowReader(g.sp_addr_width, g.row_bits)
        m.submodules.a_reader = a_reader = RowReader(g.sp_addr_width, g.row_bits, tag_width=tag_layout.size,
                                                     overlap=True)
        wiring.connect(m, wiring.flipped(self.w_rd), w_reader.rd)
        wiring.connect(m, wiring.flipped(self.a_rd), a_reader.rd)
        m.submodules.marks = marks = SyncFIFO(width=MARK_WIDTH + 4, depth=PENDING_MATMULS)

        is_weights = instr.op == Opcode.WEIGHTS
        w_free = ~w_reader.busy
        a_free = a_reader.left == 0
        m.d.comb += self.ctl.instr.ready.eq((is_weights & w_free) | (~is_weights & a_free))
        start = self.ctl.instr.valid & self.ctl.instr.ready

        # ---- weight engine
        w_signal = Signal(4)
        w_active = Signal()
        m.d.comb += [
            w_reader.start.eq(start & is_weights),
            w_reader.base.eq(instr.sp),
            w_reader.count.eq(g.rows),
            self.weights.valid.eq(w_reader.rows.valid),
            self.weights.payload.eq(w_reader.rows.payload[:g.cols * g.input_width]),
            w_reader.rows.ready.eq(self.weights.ready),
        ]
        w_finished = w_active & ~w_reader.busy
        m.d.comb += [self.ctl.done[0].eq(w_finished), self.ctl.done_signal[0].eq(w_signal)]
        with m.If(w_finished):
            m.d.sync += w_active.eq(0)
        with m.If(start & is_weights):
            m.d.sync += [w_active.eq(1), w_signal.eq(instr.signal)]

        # ---- activation engine
        start_act = start & ~is_weights
        acc_next = Signal(g.acc_addr_width)     # accumulator row of the next row to issue
        first = Signal()                        # the next row to issue is its instruction's first
        accumulate = Signal()
        new_weights = Signal()
        signal = Signal(4)
        tag_now = tag_layout(a_reader.tag)
        with m.If(start_act):
            m.d.comb += [tag_now.acc_addr.eq(instr.acc), tag_now.accumulate.eq((instr.flags & Flag.ACCUMULATE).any()),
                         tag_now.new_tile.eq((instr.flags & Flag.NEW_WEIGHTS).any()), tag_now.last.eq(instr.rows == 1),
                         tag_now.signal.eq(instr.signal)]
            m.d.sync += [
                acc_next.eq(instr.acc + a_reader.issued), first.eq(~a_reader.issued),
                accumulate.eq((instr.flags & Flag.ACCUMULATE).any()),
                new_weights.eq((instr.flags & Flag.NEW_WEIGHTS).any()), signal.eq(instr.signal),
            ]
        with m.Else():
            m.d.comb += [tag_now.acc_addr.eq(acc_next), tag_now.accumulate.eq(accumulate),
                         tag_now.new_tile.eq(first & new_weights), tag_now.last.eq(a_reader.left == 1),
                         tag_now.signal.eq(signal)]
            with m.If(a_reader.issued):
                m.d.sync += [acc_next.eq(acc_next + 1), first.eq(0)]
        m.d.comb += [
            a_reader.start.eq(start_act),
            a_reader.base.eq(instr.sp),
            a_reader.count.eq(instr.rows),
        ]

        row = tag_layout(a_reader.rows_tag)
        needs_mark = row.last & (row.signal != 0)
        act = self.act.payload
        m.d.comb += [
            self.act.valid.eq(a_reader.rows.valid & (~needs_mark | marks.w_rdy)),
            act.data.eq(a_reader.rows.payload[:g.rows * g.input_width]),
            act.acc_addr.eq(row.acc_addr),
            act.accumulate.eq(row.accumulate),
            act.new_tile.eq(row.new_tile),
            a_reader.rows.ready.eq(self.act.ready & (~needs_mark | marks.w_rdy)),
        ]
        accepted = Signal(MARK_WIDTH)
        written = Signal(MARK_WIDTH)
        fired = self.act.valid & self.act.ready
        with m.If(fired):
            m.d.sync += accepted.eq(accepted + 1)
        with m.If(self.row_written):
            m.d.sync += written.eq(written + 1)
        # The last vector of a signalling MATMUL leaves a mark: done when ``written`` reaches it.
        m.d.comb += [
            marks.w_en.eq(fired & needs_mark),
            marks.w_data.eq((accepted + 1)[:MARK_WIDTH] | (row.signal << MARK_WIDTH)),
        ]
        mark = marks.r_data[:MARK_WIDTH]
        reached = marks.r_rdy & ~(written - mark)[MARK_WIDTH - 1]      # written - mark >= 0 (modular)
        m.d.comb += [
            marks.r_en.eq(reached),
            self.ctl.done[1].eq(reached),
            self.ctl.done_signal[1].eq(marks.r_data[MARK_WIDTH:]),
        ]

        m.d.comb += self.ctl.busy.eq(w_reader.busy | a_reader.busy | marks.r_rdy | self.core_busy)
        return m
