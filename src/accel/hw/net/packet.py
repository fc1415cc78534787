"""Packet and control-word formats of the network, defined once for the hardware and the Python models.

A packet on a link is a header flit, ``length`` payload flits and a CRC-32 flit. The header layout
(least significant bit first) comes from the config's widths; :class:`NetFormat` builds the Amaranth
layouts and packs/unpacks the same fields in Python for testbenches and link models.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Const, unsigned
from amaranth.lib import crc, data

from ...config import NetworkConfig

#: Packet types. The network carries them opaquely; the SoC gives them meaning.
PACKET_TYPES = {"data": 0, "read_request": 1, "read_response": 2, "message": 3}
VIRTUAL_CHANNELS = 2
#: Bits of the control word's NAK counter: a NAK is a change of the counter, so a lost word loses no NAK.
NAK_COUNT_WIDTH = 2


def packet_crc(flit_width: int) -> crc.Parameters:
    """CRC-32 (IEEE 802.3) over the header and payload flits, ``flit_width`` bits per step."""
    return crc.catalog.CRC32_ETHERNET(data_width=flit_width)


def control_crc(width: int) -> crc.Parameters:
    """CRC-8 (AUTOSAR polynomial 0x2F, Hamming distance 4 up to 119 bits) over one control word."""
    return crc.catalog.CRC8_AUTOSAR(data_width=width)


@dataclass(frozen=True)
class NetFormat:
    """Every width and layout of the network for one config."""

    config: NetworkConfig

    # ------------------------------------------------------------------ widths
    @property
    def flit_width(self) -> int:
        return self.config.flit_width

    @property
    def seq_width(self) -> int:
        return self.config.sequence_width()

    @property
    def node_width(self) -> int:
        return self.config.node_id_width

    @property
    def credit_width(self) -> int:
        """Credit counters run modulo 2**credit_width, enough to tell a full buffer from an empty one."""
        return self.config.rx_buffer_flits.bit_length() + 1

    # ------------------------------------------------------------------ layouts
    @property
    def header(self) -> data.StructLayout:
        c = self.config
        return data.StructLayout({
            "length": unsigned(c.length_width()),   # payload flits that follow the header
            "type": unsigned(2),                     # PACKET_TYPES
            "src": unsigned(c.node_id_width),        # node that injected the packet
            "dst": unsigned(c.node_id_width),        # node that ejects it
            "vc": unsigned(1),                       # virtual channel on this link (set by each router)
            "seq": unsigned(c.sequence_width()),     # link sequence number (set by each link sender)
        })

    def header_of(self, flit) -> data.View:
        """The header fields of a flit (the bits above the header are zero in a header flit)."""
        return self.header(flit[:self.header.size])

    def length_ok(self, length):
        """``length <= max_payload_flits`` (constant true when the field cannot hold more)."""
        if (1 << self.config.length_width()) - 1 <= self.config.max_payload_flits:
            return Const(1)
        return length <= self.config.max_payload_flits

    @property
    def control_fields(self) -> data.StructLayout:
        """What a receiver tells its sender, every cycle, on the link's control lane."""
        return data.StructLayout({
            "ack": unsigned(self.seq_width),                      # next sequence number expected
            "nak_count": unsigned(NAK_COUNT_WIDTH),               # +1 per NAK (go back to ``ack``)
            "freed": data.ArrayLayout(unsigned(self.credit_width), VIRTUAL_CHANNELS),  # flits freed per VC
        })

    @property
    def control_width(self) -> int:
        return self.control_fields.size + 8

    # ------------------------------------------------------------------ Python packing
    def pack_header(self, **fields: int) -> int:
        word = 0
        for name, field in self.header:
            value = fields.get(name, 0)
            if not 0 <= value < 1 << field.width:
                raise ValueError(f"header field {name}={value} does not fit {field.width} bits")
            word |= value << field.offset
        return word

    def unpack_header(self, word: int) -> dict[str, int]:
        return {name: (word >> f.offset) & ((1 << f.width) - 1) for name, f in self.header}

    def pack_control(self, ack: int, nak_count: int, freed: list[int]) -> int:
        """A whole control word (fields, then CRC-8 in the top byte), as the hardware sends it."""
        layout = self.control_fields
        word = ack << layout["ack"].offset | nak_count << layout["nak_count"].offset
        for vc, value in enumerate(freed):
            word |= value << (layout["freed"].offset + vc * self.credit_width)
        return word | control_crc(layout.size).compute([word]) << layout.size

    def unpack_control(self, word: int) -> dict | None:
        """The fields of a control word, or None if its CRC does not match."""
        layout = self.control_fields
        fields = word & ((1 << layout.size) - 1)
        if word >> layout.size != control_crc(layout.size).compute([fields]):
            return None
        mask = (1 << self.credit_width) - 1
        return {
            "ack": (fields >> layout["ack"].offset) & ((1 << self.seq_width) - 1),
            "nak_count": (fields >> layout["nak_count"].offset) & ((1 << NAK_COUNT_WIDTH) - 1),
            "freed": [(fields >> (layout["freed"].offset + vc * self.credit_width)) & mask
                      for vc in range(VIRTUAL_CHANNELS)],
        }

    def packet_crc_value(self, flits: list[int]) -> int:
        return packet_crc(self.flit_width).compute(flits)
