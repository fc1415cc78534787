"""The R x C weight-stationary systolic array, with input skew and output deskew inside.

Dataflow (see docs/architecture.md for the timing diagram): weight ``W[r][c]`` sits in PE(r, c). An
activation vector ``a[0..R-1]`` enters on one cycle; element ``a[r]`` is delayed ``r`` cycles (skew) and
then moves right along row ``r``; partial sums move down the columns, so the bottom of column ``c`` yields
``sum_r a[r] * W[r][c]``. Column ``c`` is delayed ``C-1-c`` cycles (deskew) so a whole output vector
leaves on one cycle, ``latency = R + C - 1`` cycles after its input vector entered.
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .pe import ProcessingElement


def delay(m: Module, signal, cycles: int, name: str):
    """``signal`` delayed by ``cycles`` registers (0 = the signal itself)."""
    for stage in range(cycles):
        registered = Signal.like(signal, name=f"{name}_d{stage + 1}")
        m.d.sync += registered.eq(signal)
        signal = registered
    return signal


class SystolicArray(wiring.Component):
    """Ports are flat vectors: element ``i`` of ``act_data`` is bits ``[i*w, (i+1)*w)`` (two's complement).

    * ``act_valid/act_data/act_new_tile``: one activation vector (length ``rows``) per cycle; gaps (valid
      low) are legal anywhere. ``act_new_tile`` switches every PE to the shadow weights for this vector on.
    * ``w_shift/w_row``: each pulse shifts the shadow weights one row down and loads ``w_row`` (length
      ``cols``) into row 0; after ``rows`` pulses the first row sent sits in the bottom row.
    * ``out_valid/out_data``: one partial-sum vector (length ``cols``), ``latency`` cycles after its input.
    """

    def __init__(self, rows: int, cols: int, input_width: int = 8, acc_width: int = 32):
        self.rows, self.cols = rows, cols
        self.input_width, self.acc_width = input_width, acc_width
        self.latency = rows + cols - 1
        super().__init__({
            "act_valid": In(1),
            "act_new_tile": In(1),
            "act_data": In(rows * input_width),
            "w_shift": In(1),
            "w_row": In(cols * input_width),
            "out_valid": Out(1),
            "out_data": Out(cols * acc_width),
        })

    def elaborate(self, platform):
        m = Module()
        R, C, w, acc = self.rows, self.cols, self.input_width, self.acc_width
        pes = [[ProcessingElement(w, acc) for _ in range(C)] for _ in range(R)]
        for r in range(R):
            for c in range(C):
                m.submodules[f"pe_{r}_{c}"] = pes[r][c]

        for r in range(R):
            # Skew: row r sees its element r cycles after the vector entered.
            m.d.comb += [
                pes[r][0].a_in.eq(delay(m, self.act_data[r * w:(r + 1) * w], r, f"skew_a{r}")),
                pes[r][0].valid_in.eq(delay(m, self.act_valid, r, f"skew_v{r}")),
                pes[r][0].new_tile_in.eq(delay(m, self.act_new_tile, r, f"skew_n{r}")),
            ]
            for c in range(1, C):
                m.d.comb += [
                    pes[r][c].a_in.eq(pes[r][c - 1].a_out),
                    pes[r][c].valid_in.eq(pes[r][c - 1].valid_out),
                    pes[r][c].new_tile_in.eq(pes[r][c - 1].new_tile_out),
                ]

        for c in range(C):
            m.d.comb += [
                pes[0][c].psum_in.eq(0),
                pes[0][c].w_in.eq(self.w_row[c * w:(c + 1) * w]),
            ]
            for r in range(R):
                m.d.comb += pes[r][c].w_shift.eq(self.w_shift)
                if r > 0:
                    m.d.comb += [
                        pes[r][c].psum_in.eq(pes[r - 1][c].psum_out),
                        pes[r][c].w_in.eq(pes[r - 1][c].w_out),
                    ]
            # Deskew: column c finishes c cycles after column 0; align all columns to the last one.
            m.d.comb += self.out_data[c * acc:(c + 1) * acc].eq(
                delay(m, pes[R - 1][c].psum_out, C - 1 - c, f"deskew_c{c}"))
        m.d.comb += self.out_valid.eq(pes[R - 1][C - 1].valid_out)
        return m
