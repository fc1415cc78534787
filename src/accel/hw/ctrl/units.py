"""What every execution unit shares: its instruction port and how it reports completion.

A unit takes instructions from the scoreboard (which only offers one once its wait tokens are there),
and reports each finished instruction with a ``done`` pulse and the instruction's ``signal`` mask, so the
scoreboard can hand out the tokens. ``busy`` means an accepted instruction is unfinished (FENCE waits
for every unit to drop it).
"""

from amaranth import unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ...arch.isa import instruction_layout


def unit_members(completions: int = 1) -> dict:
    members = {"instr": In(stream.Signature(instruction_layout())), "busy": Out(1)}
    for index in range(completions):
        suffix = "" if index == 0 else str(index + 1)
        members[f"done{suffix}"] = Out(1)
        members[f"done{suffix}_signal"] = Out(4)
    return members


def sp_write_layout(addr_width: int, row_bits: int) -> data.StructLayout:
    return data.StructLayout({"addr": unsigned(addr_width), "data": unsigned(row_bits)})


def read_port_members(prefix: str, addr_width: int, data_width: int) -> dict:
    """A synchronous memory read port as seen from its user."""
    return {f"{prefix}_en": Out(1), f"{prefix}_addr": Out(addr_width), f"{prefix}_data": In(data_width)}


def attach_reader(m, reader, unit, prefix: str) -> None:
    """Wire a :class:`~accel.hw.memory.RowReader`'s read port to the unit's ``<prefix>_*`` ports."""
    m.d.comb += [
        getattr(unit, f"{prefix}_en").eq(reader.rd_en),
        getattr(unit, f"{prefix}_addr").eq(reader.rd_addr),
        reader.rd_data.eq(getattr(unit, f"{prefix}_data")),
    ]


__all__ = ["unit_members", "sp_write_layout", "read_port_members", "attach_reader", "wiring"]
