"""The instruction set, defined once: field layout, opcodes, units, flags and error codes.

An instruction is 128 bits, written to the command queue as four 32-bit words, least significant word
first. The hardware decoder builds its Amaranth layout from :data:`FIELDS` (:func:`instruction_layout`), and
the compiler encodes with :meth:`Instruction.encode`, so the two cannot disagree. docs/isa.md describes
every opcode; the tables here are the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields as dataclass_fields
from enum import IntEnum, IntFlag

WORD_BITS = 32
INSTRUCTION_WORDS = 4
INSTRUCTION_BITS = WORD_BITS * INSTRUCTION_WORDS

#: (name, bits), least significant first. Which fields an opcode reads is in OPERANDS.
FIELDS: list[tuple[str, int]] = [
    ("op", 4),        # Opcode
    ("wait", 4),      # Unit mask: take one token from each of these units before starting
    ("signal", 4),    # Unit mask: give one token to each of these units when done
    ("flags", 4),     # Flag
    ("rows", 16),     # row count
    ("sp", 16),       # scratchpad row
    ("acc", 16),      # accumulator row (SEND: the scratchpad row on the receiving chip)
    ("hbm", 32),      # HBM burst address (pseudo-channel interleaved: channel = address % channels)
    ("scale", 16),    # requantization multiplier (unsigned)
    ("shift", 6),     # requantization right shift
    ("node", 8),      # SEND: destination chip
    ("reserved", 2),
]
assert sum(bits for _, bits in FIELDS) == INSTRUCTION_BITS


class Opcode(IntEnum):
    NOP = 0
    LOAD = 1       # HBM -> scratchpad rows
    WEIGHTS = 2    # R scratchpad rows -> the array's shadow weights (bottom row first)
    MATMUL = 3     # stream scratchpad rows through the array into accumulator rows
    STORE = 4      # accumulator rows (requantized) or scratchpad rows -> HBM
    SEND = 5       # scratchpad rows -> another chip's scratchpad
    RECV = 6       # wait until this many rows have arrived from the network
    FENCE = 7      # wait until every unit is idle
    END = 8        # fence, then raise the "done" interrupt


class Unit(IntEnum):
    """Execution units; bit ``1 << unit`` in the wait/signal masks."""
    LOAD = 0
    EXEC = 1
    STORE = 2
    NET = 3


class Flag(IntFlag):
    ACCUMULATE = 1    # MATMUL: add to the accumulator rows (else overwrite)
    NEW_WEIGHTS = 2   # MATMUL: switch to the tile loaded by the last WEIGHTS on the first row
    RELU = 4          # STORE: clamp negative results to zero
    FROM_SP = 8       # STORE: store scratchpad rows as they are (else accumulators through requantize)


class Error(IntEnum):
    """``ERROR_CODE`` values. The command processor stops at the first error (``ERROR_PC`` = its index)."""
    NONE = 0
    ILLEGAL_OPCODE = 1
    BAD_DEPENDENCY = 2    # waits/signals its own unit, or a NOP/FENCE/END with dependencies
    SP_RANGE = 3          # scratchpad rows outside the scratchpad, or zero rows
    ACC_RANGE = 4         # accumulator rows outside the accumulator memory
    BAD_NODE = 5          # SEND to this chip or to a node not on the ring; SEND/RECV on a single chip
    WEIGHTS_UNUSED = 6    # WEIGHTS while the previous tile has not been switched in
    NO_WEIGHTS = 7        # MATMUL NEW_WEIGHTS with no tile loaded
    TOKENS_LEFT = 8       # END with dependency tokens nobody took (the program's waits and signals differ)


UNIT_OF = {
    Opcode.LOAD: Unit.LOAD, Opcode.WEIGHTS: Unit.EXEC, Opcode.MATMUL: Unit.EXEC,
    Opcode.STORE: Unit.STORE, Opcode.SEND: Unit.NET, Opcode.RECV: Unit.NET,
}

OPERANDS = {
    Opcode.NOP: (), Opcode.FENCE: (), Opcode.END: (),
    Opcode.LOAD: ("hbm", "sp", "rows"),
    Opcode.WEIGHTS: ("sp",),
    Opcode.MATMUL: ("sp", "acc", "rows", "flags"),
    Opcode.STORE: ("acc", "sp", "hbm", "rows", "scale", "shift", "flags"),
    Opcode.SEND: ("sp", "rows", "node", "acc"),
    Opcode.RECV: ("rows",),
}


def units_mask(units) -> int:
    mask = 0
    for unit in units:
        mask |= 1 << Unit(unit)
    return mask


@dataclass(frozen=True)
class Instruction:
    op: Opcode
    wait: int = 0
    signal: int = 0
    flags: int = 0
    rows: int = 0
    sp: int = 0
    acc: int = 0
    hbm: int = 0
    scale: int = 0
    shift: int = 0
    node: int = 0
    reserved: int = 0
    comment: str = field(default="", compare=False)

    def encode(self) -> int:
        word, offset = 0, 0
        for name, bits in FIELDS:
            value = int(getattr(self, name))
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{Opcode(self.op).name}: field {name}={value} does not fit {bits} bits")
            word |= value << offset
            offset += bits
        return word

    def words(self) -> list[int]:
        value = self.encode()
        return [(value >> (WORD_BITS * i)) & ((1 << WORD_BITS) - 1) for i in range(INSTRUCTION_WORDS)]

    @classmethod
    def decode(cls, value: int) -> "Instruction":
        values, offset = {}, 0
        for name, bits in FIELDS:
            values[name] = (value >> offset) & ((1 << bits) - 1)
            offset += bits
        op = values.pop("op")
        return cls(Opcode(op) if op in Opcode._value2member_map_ else op, **values)

    def __str__(self) -> str:
        op = Opcode(self.op)
        parts = [op.name]
        for name in OPERANDS.get(op, ()):
            value = getattr(self, name)
            parts.append(f"{name}={Flag(value)!r}" if name == "flags" else f"{name}={value}")
        for name in ("wait", "signal"):
            mask = getattr(self, name)
            if mask:
                parts.append(f"{name}=" + "|".join(u.name for u in Unit if mask >> u & 1))
        if self.comment:
            parts.append(f"# {self.comment}")
        return " ".join(parts)


def instruction_layout():
    """The Amaranth layout of an instruction (imported lazily so the compiler needs no Amaranth)."""
    from amaranth import unsigned
    from amaranth.lib import data

    return data.StructLayout({name: unsigned(bits) for name, bits in FIELDS})


assert [f.name for f in dataclass_fields(Instruction)][:len(FIELDS)] == [name for name, _ in FIELDS]
