"""One processing element of the weight-stationary systolic array.

A PE holds two weights: ``active`` (used for multiplies) and ``shadow`` (being loaded through the
column's shift chain). The switch from shadow to active travels *with the activations*: the first
activation of a new tile carries ``new_tile``, and each PE switches exactly when that activation reaches
it. So a tile's weights can be loaded while the previous tile is still streaming (double buffering),
without a global stall.
"""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class ProcessingElement(wiring.Component):
    """Signed ``input_width`` x ``input_width`` multiply, ``acc_width`` accumulate, all outputs registered.

    Activations (with ``valid`` and ``new_tile``) move one PE right per cycle; partial sums move one PE
    down per cycle; shadow weights move one PE down per ``w_shift`` pulse.
    """

    def __init__(self, input_width: int = 8, acc_width: int = 32):
        self.input_width = input_width
        self.acc_width = acc_width
        super().__init__({
            "a_in": In(signed(input_width)),
            "valid_in": In(1),
            "new_tile_in": In(1),
            "a_out": Out(signed(input_width)),
            "valid_out": Out(1),
            "new_tile_out": Out(1),
            "psum_in": In(signed(acc_width)),
            "psum_out": Out(signed(acc_width)),
            "w_shift": In(1),
            "w_in": In(signed(input_width)),
            "w_out": Out(signed(input_width)),
        })

    def elaborate(self, platform):
        m = Module()
        shadow = Signal(signed(self.input_width))
        active = Signal(signed(self.input_width))
        switching = self.valid_in & self.new_tile_in
        weight = Mux(switching, shadow, active)

        with m.If(switching):
            m.d.sync += active.eq(shadow)
        with m.If(self.w_shift):
            m.d.sync += shadow.eq(self.w_in)
        m.d.comb += self.w_out.eq(shadow)

        product = Signal(signed(2 * self.input_width))
        m.d.comb += product.eq(self.a_in * weight)
        m.d.sync += [
            self.a_out.eq(self.a_in),
            self.valid_out.eq(self.valid_in),
            self.new_tile_out.eq(switching),
            # Wraps modulo 2**acc_width, like the numpy reference.
            self.psum_out.eq(self.psum_in + product),
        ]
        return m
