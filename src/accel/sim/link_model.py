"""A Python model of one direction of a chip-to-chip link: delay, PHY back-pressure and bit errors.

It joins a sender's ``<node>__<port>_tx__*`` pins to a receiver's ``<node>__<port>_rx__*`` pins. Each
cycle the bench first calls :meth:`drive` (after the clock edge) and then :meth:`sample` (in ReadOnly).
Faults: each data flit is hit with probability ``flit_error_rate`` (one random bit of ``sop``+``data``
flipped), each control word with ``ctrl_error_rate``; a burst (:meth:`burst`) garbles or drops every
flit and control word for a number of cycles, like a lane losing lock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class LinkStats:
    flits: int = 0
    corrupted_flits: int = 0
    dropped_flits: int = 0
    corrupted_ctrl: int = 0


@dataclass
class LinkModel:
    dut: object
    tx: str                      # e.g. "n0__east_tx"
    rx: str                      # e.g. "n1__west_rx"
    rng: object                  # numpy Generator
    flit_width: int
    ctrl_width: int
    latency: int = 2             # cycles from a flit leaving the sender to reaching the receiver (>= 1)
    ready_probability: float = 1.0
    flit_error_rate: float = 0.0
    ctrl_error_rate: float = 0.0
    fmt: object = None           # a NetFormat: check packet and control-word CRCs on the wire
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self):
        if self.latency < 1:
            raise ValueError("link latency must be at least one cycle")
        get = lambda name: getattr(self.dut, name)  # noqa: E731
        self.tx_valid, self.tx_sop, self.tx_data = get(f"{self.tx}__valid"), get(f"{self.tx}__sop"), get(f"{self.tx}__data")
        self.tx_ready = get(f"{self.tx}__ready")
        self.tx_ctrl_valid, self.tx_ctrl = get(f"{self.tx}__ctrl_valid"), get(f"{self.tx}__ctrl")
        self.rx_valid, self.rx_sop, self.rx_data = get(f"{self.rx}__valid"), get(f"{self.rx}__sop"), get(f"{self.rx}__data")
        self.rx_ctrl_valid, self.rx_ctrl = get(f"{self.rx}__ctrl_valid"), get(f"{self.rx}__ctrl")
        self.line: deque = deque([None] * self.latency)
        self.ready = 1
        self.burst_left = 0
        self.driven = (None, None)     # last (flit, ctrl) driven: skip unchanged writes
        self.packet: list[int] = []    # flits of the packet the sender is putting on the wire
        self.last_ctrl = None
        self.protocol_errors: list[str] = []

    def burst(self, cycles: int) -> None:
        """Garble or drop everything on the link for the next ``cycles`` cycles."""
        self.burst_left = cycles

    def reset(self) -> None:
        """Empty the wire (after a reset of the chips, or to change the latency)."""
        self.line = deque([None] * self.latency)
        self.burst_left = 0
        self.packet = []

    # ------------------------------------------------------------------ per cycle
    def drive(self) -> None:
        """After the clock edge: offer PHY ready to the sender, present what arrives this cycle."""
        rng = self.rng
        self.ready = 1 if self.ready_probability >= 1 or rng.random() < self.ready_probability else 0
        self.tx_ready.value = self.ready
        flit, ctrl = self.line.popleft() or (None, None)
        last_flit, last_ctrl = self.driven
        if flit != last_flit:
            if flit is None:
                self.rx_valid.value = 0
            else:
                self.rx_valid.value = 1
                self.rx_sop.value = flit[0]
                self.rx_data.value = flit[1]
        if ctrl != last_ctrl:
            if ctrl is None:
                self.rx_ctrl_valid.value = 0
            else:
                self.rx_ctrl_valid.value = 1
                self.rx_ctrl.value = ctrl
        self.driven = (flit, ctrl)

    def sample(self) -> None:
        """In ReadOnly: take the flit the sender moves this cycle and the control word, apply faults."""
        rng = self.rng
        flit = None
        if self.ready and self.tx_valid.value:
            flit = (int(self.tx_sop.value), int(self.tx_data.value))
            self.stats.flits += 1
        ctrl = int(self.tx_ctrl.value) if self.tx_ctrl_valid.value else None
        if self.fmt is not None:
            self.check(flit, ctrl)
        if self.burst_left:
            self.burst_left -= 1
            if flit is not None:
                if rng.random() < 0.5:
                    flit = None
                    self.stats.dropped_flits += 1
                else:
                    flit = (int(rng.integers(2)), int.from_bytes(rng.bytes(self.flit_width // 8), "little"))
                    self.stats.corrupted_flits += 1
            if ctrl is not None:
                ctrl = int.from_bytes(rng.bytes((self.ctrl_width + 7) // 8), "little") & ((1 << self.ctrl_width) - 1)
                self.stats.corrupted_ctrl += 1
        else:
            if flit is not None and self.flit_error_rate and rng.random() < self.flit_error_rate:
                bit = int(rng.integers(self.flit_width + 1))
                flit = (flit[0] ^ 1, flit[1]) if bit == self.flit_width else (flit[0], flit[1] ^ (1 << bit))
                self.stats.corrupted_flits += 1
            if ctrl is not None and self.ctrl_error_rate and rng.random() < self.ctrl_error_rate:
                ctrl ^= 1 << int(rng.integers(self.ctrl_width))
                self.stats.corrupted_ctrl += 1
        self.line.append((flit, ctrl) if flit is not None or ctrl is not None else None)

    def check(self, flit, ctrl) -> None:
        """The spec check of what the sender sent (before any fault is applied)."""
        fmt = self.fmt
        if ctrl is not None and ctrl != self.last_ctrl:
            self.last_ctrl = ctrl
            if fmt.unpack_control(ctrl) is None:
                self.protocol_errors.append(f"{self.tx}: control word {ctrl:#x} has a bad CRC-8")
        if flit is None:
            return
        sop, data = flit
        if sop:
            self.packet = []       # (a sender may cut short a packet the receiver has already acknowledged)
        elif not self.packet:
            self.protocol_errors.append(f"{self.tx}: a packet starts without sop ({data:#x})")
            return
        self.packet.append(data)
        length = fmt.unpack_header(self.packet[0])["length"]
        if len(self.packet) == length + 2:
            want = fmt.packet_crc_value(self.packet[:-1])
            if self.packet[-1] != want:
                self.protocol_errors.append(f"{self.tx}: CRC flit {self.packet[-1]:#x}, CRC-32 of the packet "
                                            f"is {want:#x}")
            self.packet = []
