"""The sizes the SoC, its compiler and its driver agree on, derived from one config.

Pure Python (no Amaranth), so the compiler can run anywhere. A scratchpad row holds ``max(rows, cols)``
elements: an activation vector uses the first ``rows``, a weight-tile row or an int8 result row the first
``cols``. In HBM, rows are packed ``rows_per_burst`` to a burst, row ``i`` of a burst at bits
``[i*row_bits, (i+1)*row_bits)``; bursts are interleaved over the pseudo-channels (channel = burst address
modulo channels).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import AccelConfig, ConfigError
from .address import AddressMap
from .isa import INSTRUCTION_BITS


def bits_for(count: int) -> int:
    """Bits of an index into ``count`` things."""
    return max(1, (count - 1).bit_length())


@dataclass(frozen=True)
class Geometry:
    rows: int
    cols: int
    input_width: int
    acc_width: int
    sp_rows: int
    acc_rows: int
    burst_bits: int
    channels: int
    channel_addr_width: int
    nodes: int
    node_id_width: int
    flit_width: int
    max_payload_flits: int
    command_queue_depth: int
    unit_queue_depth: int
    counter_width: int
    requant_lanes: int
    requant_scale_bits: int

    @classmethod
    def from_config(cls, config: AccelConfig) -> "Geometry":
        a, hbm, net = config.array, config.hbm, config.network
        geometry = cls(
            rows=a.rows, cols=a.cols, input_width=a.input_width, acc_width=a.acc_width,
            sp_rows=config.memory.scratchpad_rows, acc_rows=config.memory.accumulator_rows,
            burst_bits=hbm.data_width * hbm.resolved_burst_length(), channels=hbm.pseudo_channels,
            channel_addr_width=AddressMap.from_config(hbm).width, nodes=net.nodes,
            node_id_width=net.node_id_width, flit_width=net.flit_width, max_payload_flits=net.max_payload_flits,
            command_queue_depth=config.soc.command_queue_depth, unit_queue_depth=config.soc.unit_queue_depth,
            counter_width=config.soc.counter_width, requant_lanes=config.resolved_requant_lanes(),
            requant_scale_bits=config.soc.requant_scale_bits)
        geometry.check()
        return geometry

    def check(self) -> None:
        """The SoC's own constraints on a config (the blocks alone accept more)."""
        if self.channels & (self.channels - 1):
            raise ConfigError(f"hbm.pseudo_channels: the SoC interleaves bursts over the channels, so it must "
                              f"be a power of two, not {self.channels}")
        if self.rows_per_burst < 1:
            raise ConfigError(f"hbm.data_width: a burst of {self.burst_bits} bits cannot hold one scratchpad "
                              f"row of {self.row_bits} bits (max(array.rows, array.cols) x input_width)")
        if self.instructions_per_burst < 1:
            raise ConfigError(f"hbm.data_width: a burst of {self.burst_bits} bits cannot hold one 128-bit "
                              f"instruction (the fetch unit reads programs from HBM)")
        if self.command_queue_depth < self.instructions_per_burst:
            raise ConfigError(f"soc.command_queue_depth: the fetch unit needs room for one burst of "
                              f"{self.instructions_per_burst} instructions, not {self.command_queue_depth}")
        if self.network and self.rows_per_packet < 1:
            raise ConfigError(f"network.max_payload_flits: a packet must carry an address flit and one row "
                              f"({1 + self.flits_per_row} flits), not {self.max_payload_flits}")
        if self.hbm_addr_width > 32:
            raise ConfigError(f"hbm: {self.hbm_addr_width}-bit burst addresses do not fit the 32-bit hbm field")
        for key, value in (("memory.scratchpad_rows", self.sp_rows), ("memory.accumulator_rows", self.acc_rows)):
            if value >= 1 << 16:
                raise ConfigError(f"{key}: the ISA addresses at most 65535 rows, not {value}")

    @property
    def row_bits(self) -> int:
        return max(self.rows, self.cols) * self.input_width

    @property
    def rows_per_burst(self) -> int:
        return self.burst_bits // self.row_bits

    @property
    def network(self) -> bool:
        """A single chip (``network.nodes: 1``) has no network interface."""
        return self.nodes > 1

    @property
    def instructions_per_burst(self) -> int:
        return self.burst_bits // INSTRUCTION_BITS

    @property
    def flits_per_row(self) -> int:
        return -(-self.row_bits // self.flit_width)

    @property
    def rows_per_packet(self) -> int:
        return (self.max_payload_flits - 1) // self.flits_per_row

    @property
    def channel_bits(self) -> int:
        return (self.channels - 1).bit_length()

    @property
    def hbm_addr_width(self) -> int:
        return self.channel_addr_width + self.channel_bits

    @property
    def hbm_bursts(self) -> int:
        """HBM capacity in bursts (all pseudo-channels)."""
        return 1 << self.hbm_addr_width

    @property
    def program_base(self) -> int:
        """Where the driver puts programs: the upper half of HBM; the compiler's tensors go below it."""
        return self.hbm_bursts // 2

    @property
    def sp_addr_width(self) -> int:
        return bits_for(self.sp_rows)

    @property
    def acc_addr_width(self) -> int:
        return bits_for(self.acc_rows)

    def bursts(self, rows: int) -> int:
        """Bursts holding ``rows`` packed rows."""
        return -(-rows // self.rows_per_burst)
