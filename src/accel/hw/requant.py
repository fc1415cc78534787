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
    stages (multiply; round, shift, clamp); back-pressure stalls both stages.

    Two knobs trade throughput for area, for a small laid-out SoC (a 32x16 multiplier per lane is the
    largest thing in its store path); by default a whole row goes through per cycle:

    - ``lanes_per_cycle`` (a divisor of ``lanes``): how many multipliers and shifters there are. A row
      passes in ``lanes / lanes_per_cycle`` groups, lanes 0.. first.
    - ``scale_bits_per_cycle`` (a divisor of ``scale_width``): each multiplier takes that many bits of
      ``scale`` per cycle, most significant first, shifting and adding (``product = product << d +
      acc * digit``), so a group's products take ``scale_width / scale_bits_per_cycle`` cycles.

    The input row is accepted (``ready``) with its last group's last step; until then the stream keeps it
    steady."""

    def __init__(self, lanes: int, acc_width: int, out_width: int, scale_width: int = SCALE_WIDTH,
                 lanes_per_cycle: int | None = None, scale_bits_per_cycle: int | None = None):
        self.lanes, self.acc_width, self.out_width, self.scale_width = lanes, acc_width, out_width, scale_width
        self.lanes_per_cycle = lanes_per_cycle or lanes
        self.scale_bits_per_cycle = scale_bits_per_cycle or scale_width
        if lanes % self.lanes_per_cycle:
            raise ValueError(f"lanes_per_cycle ({self.lanes_per_cycle}) must divide lanes ({lanes})")
        if scale_width % self.scale_bits_per_cycle:
            raise ValueError(f"scale_bits_per_cycle ({self.scale_bits_per_cycle}) must divide scale_width "
                             f"({scale_width})")
        super().__init__({
            "input": In(stream.Signature(lanes * acc_width)),
            "output": Out(stream.Signature(lanes * out_width)),
            "scale": In(scale_width),
            "shift": In(SHIFT_WIDTH),
            "relu": In(1),
        })

    @property
    def cycles_per_row(self) -> int:
        return self.lanes // self.lanes_per_cycle * (self.scale_width // self.scale_bits_per_cycle)

    def elaborate(self, platform):
        m = Module()
        K, A, O, D = self.lanes_per_cycle, self.acc_width, self.out_width, self.scale_bits_per_cycle
        G = self.lanes // K                               # groups per row
        S = self.scale_width // D                         # multiply steps per group
        P = A + self.scale_width + 1                      # signed product width

        # Stage 1: products of one group of lanes.
        a_valid = Signal()                                # ``products`` are complete
        a_last = Signal(init=1)                           # their group completes its row
        products = [Signal(signed(P), name=f"product_{j}") for j in range(K)]
        # Stage 2: results, filled group by group.
        b_valid = Signal()
        results = Signal(self.lanes * O)
        b_free = ~b_valid | self.output.ready
        a_free = ~a_valid | b_free

        # Counters (plain 0 when there is only one: no zero-width signals): the input row's next group, the
        # group in stage 1, the multiply step.
        def counter(count, name):
            return Signal(range(count), name=name) if count > 1 else Const(0, 1)
        group, a_group, step = counter(G, "group"), counter(G, "a_group"), counter(S, "step")
        last_step = step == S - 1
        last = (group == G - 1) & last_step
        m.d.comb += [
            self.input.ready.eq(a_free & last),
            self.output.valid.eq(b_valid),
            self.output.payload.eq(results),
        ]
        selected = Signal(K * A)
        digit = Signal(D)
        m.d.comb += [
            selected.eq(self.input.payload.word_select(group, K * A)),
            digit.eq(self.scale.word_select((S - 1 - step).as_unsigned() if S > 1 else 0, D)),
        ]
        with m.If(a_free):
            m.d.sync += a_valid.eq(self.input.valid & last_step)
            with m.If(self.input.valid):
                for j in range(K):
                    partial = selected[j * A:(j + 1) * A].as_signed() * digit
                    if S == 1:
                        m.d.sync += products[j].eq(partial)
                    else:
                        m.d.sync += products[j].eq(Mux(step == 0, 0, products[j] << D) + partial)
                if S > 1:
                    m.d.sync += step.eq(Mux(last_step, 0, step + 1))
                if G > 1:
                    m.d.sync += [a_last.eq(group == G - 1), a_group.eq(group)]
                    with m.If(last_step):
                        m.d.sync += group.eq(Mux(group == G - 1, 0, group + 1))

        lo, hi = -(1 << (O - 1)), (1 << (O - 1)) - 1
        shift = self.shift
        lanes_out = []
        for j, product in enumerate(products):
            # Round half away from zero: add 2**(shift-1), minus one for negative values, then shift.
            half = (Const(1, P) << (shift - 1).as_unsigned())[:P]
            nudge = Mux(shift == 0, 0, half.as_signed() - product[-1])
            rounded = Signal(signed(P + 1), name=f"rounded_{j}")
            # |product| < 2**(P-2), so from shift P-1 on every value rounds to zero (and 2**(shift-1)
            # would no longer fit P bits).
            m.d.comb += rounded.eq(Mux(shift >= P - 1, 0, (product + nudge) >> shift))
            floor = Mux(self.relu, 0, lo)
            clamped = Signal(signed(O), name=f"clamped_{j}")
            m.d.comb += clamped.eq(Mux(rounded > hi, hi, Mux(rounded < floor, floor, rounded)))
            lanes_out.append(clamped)
        with m.If(b_free):
            # A row is complete (valid) once its last group is written; earlier groups only fill ``results``
            # while nothing is offered or the offered row leaves this cycle.
            m.d.sync += b_valid.eq(a_valid & a_last)
            with m.If(a_valid):
                m.d.sync += results.word_select(a_group, K * O).eq(Cat(*lanes_out))
        return m
