"""What every execution unit shares: its port to the scoreboard.

A unit takes instructions from the scoreboard (which only offers one once its wait tokens are there),
and reports each finished instruction with a ``done`` pulse and the instruction's ``signal`` mask, so the
scoreboard can hand out the tokens. ``busy`` means an accepted instruction is unfinished (FENCE waits
for every unit to drop it). The command processor holds the flipped side of each unit's port.
"""

from amaranth import unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ...arch.isa import instruction_layout


class UnitSignature(wiring.Signature):
    """A unit's side of the scoreboard: ``instr`` in; ``busy``, and ``completions`` pairs of ``done`` pulse
    and 4-bit ``done_signal`` mask out (EXEC reports WEIGHTS and MATMUL separately: two)."""

    def __init__(self, completions: int = 1):
        self.completions = completions
        super().__init__({
            "instr": In(stream.Signature(instruction_layout())),
            "busy": Out(1),
            "done": Out(1).array(completions),
            "done_signal": Out(4).array(completions),
        })

    def __eq__(self, other):
        return isinstance(other, UnitSignature) and other.completions == self.completions

    def __hash__(self):
        return hash(("UnitSignature", self.completions))


def sp_write_layout(addr_width: int, row_bits: int) -> data.StructLayout:
    return data.StructLayout({"addr": unsigned(addr_width), "data": unsigned(row_bits)})
