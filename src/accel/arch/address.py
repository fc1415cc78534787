"""Address map: a burst address -> (bank group, bank, row, column), shared by hardware and models.

Addresses count bursts (``data_width * burst_length`` bits each) within one pseudo-channel.

* ``row_bank_column``: ``[row | bank | bank group | column]``, column in the low bits: consecutive
  bursts walk along one open row (row hits for sequential traffic).
* ``bank_interleaved``: ``[row | column | bank | bank group]``: consecutive bursts rotate over bank
  groups, then banks (parallelism, tCCD_S spacing), each bank's row staying open longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import HbmConfig


def log2(value: int) -> int:
    return max(0, (value - 1).bit_length())


@dataclass(frozen=True)
class AddressMap:
    mapping: str
    bg_bits: int
    bank_bits: int
    row_bits: int
    col_bits: int

    @classmethod
    def from_config(cls, hbm: HbmConfig) -> "AddressMap":
        return cls(hbm.address_mapping, log2(hbm.bank_groups), log2(hbm.banks_per_group), log2(hbm.rows),
                   log2(hbm.columns))

    @property
    def width(self) -> int:
        return self.bg_bits + self.bank_bits + self.row_bits + self.col_bits

    def fields(self) -> list[tuple[str, int]]:
        """(field, bits) from the least significant bit up."""
        if self.mapping == "row_bank_column":
            return [("col", self.col_bits), ("bg", self.bg_bits), ("bank", self.bank_bits), ("row", self.row_bits)]
        return [("bg", self.bg_bits), ("bank", self.bank_bits), ("col", self.col_bits), ("row", self.row_bits)]

    def offsets(self) -> dict[str, tuple[int, int]]:
        out, offset = {}, 0
        for name, bits in self.fields():
            out[name] = (offset, bits)
            offset += bits
        return out

    def decode(self, addr: int) -> dict[str, int]:
        """Python side (models, tests): the same split as the hardware's."""
        return {name: (addr >> offset) & ((1 << bits) - 1) for name, (offset, bits) in self.offsets().items()}

    def encode(self, bg: int, bank: int, row: int, col: int) -> int:
        values = {"bg": bg, "bank": bank, "row": row, "col": col}
        return sum(values[name] << offset for name, (offset, _) in self.offsets().items())

    def slice(self, addr, name: str):
        """Hardware side: the field of an Amaranth address value (a zero-width field reads as 0)."""
        from amaranth import Const     # lazily: the compiler and the models use the map without Amaranth

        offset, bits = self.offsets()[name]
        return addr[offset:offset + bits] if bits else Const(0, 1)
