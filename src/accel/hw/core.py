"""The compute core: the systolic array, its weight double buffer control, and the accumulator memory.

This is the unit the SoC's command processor will drive; on its own it is the top for simulation and
for the first physical builds. Its job beyond wiring: make weight loading and activation streaming
overlap safely, so that a tile's weights load while the previous tile computes.
"""

from amaranth import Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import AccelConfig
from .memory import Accumulator
from .systolic import SystolicArray, delay


def acc_addr_width(config: AccelConfig) -> int:
    return max(1, (config.memory.accumulator_rows - 1).bit_length())


def activation_layout(config: AccelConfig) -> data.StructLayout:
    """One activation vector and where its result goes (fields from the least significant bit up)."""
    return data.StructLayout({
        "data": unsigned(config.array.rows * config.array.input_width),  # element r at bits [r*w, (r+1)*w)
        "acc_addr": unsigned(acc_addr_width(config)),                     # accumulator row for the result
        "accumulate": unsigned(1),                                         # 1: add to the row, 0: overwrite
        "new_tile": unsigned(1),                                           # first vector of a weight tile
    })


class ComputeCore(wiring.Component):
    """Ports (flattened in Verilog as ``weights__valid``, ``act__payload``, ...):

    * ``weights`` stream: one row of a weight tile per beat (``cols`` elements, element c at bits
      ``[c*w, (c+1)*w)``). A tile is ``rows`` beats sent **bottom row first** (row R-1, ..., row 0). The
      tile waits in the shadow registers until an activation with ``new_tile`` takes it into use.
    * ``act`` stream (:func:`activation_layout`): activation vectors. A vector with ``new_tile`` is held
      (ready low) until a whole weight tile has been loaded.
    * ``rd_en/rd_addr -> rd_valid/rd_data``: read an accumulator row (``cols`` x ``acc_width``).
    * ``busy``: some accepted vector has not reached the accumulator memory yet.
    * ``weights_pending``: a loaded weight tile is waiting for its ``new_tile`` vector.
    * ``row_written``: a result row is written into the accumulator memory this cycle (rows are written
      in the order their vectors were accepted, so counting these tells which vectors are done).
    """

    def __init__(self, config: AccelConfig):
        self.config = config
        a = config.array
        self.rows, self.cols = a.rows, a.cols
        self.input_width, self.acc_width = a.input_width, a.acc_width
        self.depth = config.memory.accumulator_rows
        self.layout = activation_layout(config)
        #: Cycles from an accepted activation vector to its row being written in the accumulator memory.
        self.latency = 1 + (a.rows + a.cols - 1) + 2
        super().__init__({
            "weights": In(stream.Signature(unsigned(a.cols * a.input_width))),
            "act": In(stream.Signature(self.layout)),
            "rd_en": In(1),
            "rd_addr": In(acc_addr_width(config)),
            "rd_valid": Out(1),
            "rd_data": Out(a.cols * a.acc_width),
            "busy": Out(1),
            "weights_pending": Out(1),
            "row_written": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        R, C = self.rows, self.cols
        m.submodules.array = array = SystolicArray(R, C, self.input_width, self.acc_width)
        m.submodules.accumulator = acc = Accumulator(self.depth, C, self.acc_width)

        # ---- weight double buffer: count beats into the shadow registers, hold them until used.
        beats = Signal(range(R + 1))
        pending = Signal()
        # After a tile switch the new-tile marker needs R+C-1 cycles to sweep every PE; the shadow
        # registers must not shift before the last PE has copied them.
        cooldown = Signal(range(R + C + 1))
        m.d.comb += [
            self.weights.ready.eq(~pending & (cooldown == 0)),
            array.w_shift.eq(self.weights.valid & self.weights.ready),
            array.w_row.eq(self.weights.payload),
            self.weights_pending.eq(pending),
        ]
        with m.If(cooldown != 0):
            m.d.sync += cooldown.eq(cooldown - 1)
        with m.If(array.w_shift):
            with m.If(beats == R - 1):
                m.d.sync += [beats.eq(0), pending.eq(1)]
            with m.Else():
                m.d.sync += beats.eq(beats + 1)

        # ---- activations: a new tile may only start once its weights are all in.
        act = self.act.payload
        m.d.comb += self.act.ready.eq(~act.new_tile | pending)
        accepted = self.act.valid & self.act.ready
        with m.If(accepted & act.new_tile):
            m.d.sync += [pending.eq(0), cooldown.eq(R + C - 1)]

        valid_r = Signal()
        new_tile_r = Signal()
        data_r = Signal.like(act.data)
        addr_r = Signal.like(act.acc_addr)
        accumulate_r = Signal()
        m.d.sync += [
            valid_r.eq(accepted),
            new_tile_r.eq(act.new_tile),
            data_r.eq(act.data),
            addr_r.eq(act.acc_addr),
            accumulate_r.eq(act.accumulate),
        ]
        m.d.comb += [
            array.act_valid.eq(valid_r),
            array.act_new_tile.eq(new_tile_r),
            array.act_data.eq(data_r),
        ]

        # ---- results: the destination travels beside the array in a delay line of its latency.
        m.d.comb += [
            acc.in_valid.eq(array.out_valid),
            acc.in_data.eq(array.out_data),
            acc.in_addr.eq(delay(m, addr_r, array.latency, "dest_addr")),
            acc.in_accumulate.eq(delay(m, accumulate_r, array.latency, "dest_accumulate")),
            acc.rd_en.eq(self.rd_en),
            acc.rd_addr.eq(self.rd_addr),
            self.rd_valid.eq(acc.rd_valid),
            self.rd_data.eq(acc.rd_data),
        ]

        # ---- busy: vectors accepted but not yet written.
        in_flight = Signal(range(self.latency + 2))
        m.d.sync += in_flight.eq(in_flight + accepted - acc.writing)
        m.d.comb += [self.busy.eq(in_flight != 0), self.row_written.eq(acc.writing)]
        return m
