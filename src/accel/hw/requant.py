"""The requantization path: an accumulator row back to int8 on its way to memory.

Each lane computes ``saturate(relu?(round(acc * scale / 2**shift)))``: a signed ``acc_width``-bit
accumulator times an unsigned ``scale_width``-bit multiplier, divided by a power of two with rounding
to nearest (ties away from zero, as gemmlowp/TFLite do), optionally clamped at zero (ReLU), and
saturated to a signed ``out_width``-bit integer. ``scale``, ``shift`` and ``relu`` are settings held
steady while a stream of rows passes (the SoC drives them from the store instruction).
``accel.sim.golden.requantize`` is the bit-exact reference.
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

SCALE_WIDTH = 16
SHIFT_WIDTH = 6      # shifts 0 .. 63


class Requantizer(wiring.Component):
    """``input`` stream: rows of ``lanes`` accumulators (lane i at bits [i*acc_width, (i+1)*acc_width));
    ``output`` stream: rows of ``lanes`` saturated ``out_width``-bit results, same order. Two pipeline
    stages (multiply; round, shift, clamp); one row per cycle; back-pressure stalls both stages."""

    def __init__(self, lanes: int, acc_width: int, out_width: int, scale_width: int = SCALE_WIDTH):
        self.lanes, self.acc_width, self.out_width, self.scale_width = lanes, acc_width, out_width, scale_width
        super().__init__({
            "input": In(stream.Signature(lanes * acc_width)),
            "output": Out(stream.Signature(lanes * out_width)),
            "scale": In(scale_width),
            "shift": In(SHIFT_WIDTH),
            "relu": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        L, A, O = self.lanes, self.acc_width, self.out_width
        P = A + self.scale_width + 1                      # signed product width

        # Stage 1: products.
        a_valid = Signal()
        products = [Signal(signed(P), name=f"product_{i}") for i in range(L)]
        # Stage 2: results.
        b_valid = Signal()
        results = Signal(L * O)
        b_free = ~b_valid | self.output.ready
        m.d.comb += [
            self.input.ready.eq(~a_valid | b_free),
            self.output.valid.eq(b_valid),
            self.output.payload.eq(results),
        ]
        with m.If(self.input.ready):
            m.d.sync += a_valid.eq(self.input.valid)
            for i in range(L):
                acc = self.input.payload[i * A:(i + 1) * A].as_signed()
                m.d.sync += products[i].eq(acc * self.scale)

        lo, hi = -(1 << (O - 1)), (1 << (O - 1)) - 1
        shift = self.shift
        lanes_out = []
        for i, product in enumerate(products):
            # Round half away from zero: add 2**(shift-1), minus one for negative values, then shift.
            half = (Const(1, P) << (shift - 1).as_unsigned())[:P]
            nudge = Mux(shift == 0, 0, half.as_signed() - product[-1])
            rounded = Signal(signed(P + 1), name=f"rounded_{i}")
            # |product| < 2**(P-2), so from shift P-1 on every value rounds to zero (and 2**(shift-1)
            # would no longer fit P bits).
            m.d.comb += rounded.eq(Mux(shift >= P - 1, 0, (product + nudge) >> shift))
            floor = Mux(self.relu, 0, lo)
            clamped = Signal(signed(O), name=f"clamped_{i}")
            m.d.comb += clamped.eq(Mux(rounded > hi, hi, Mux(rounded < floor, floor, rounded)))
            lanes_out.append(clamped)
        with m.If(b_free):
            m.d.sync += [b_valid.eq(a_valid), results.eq(Cat(*lanes_out))]
        return m
