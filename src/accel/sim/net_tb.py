"""Bench driver for a ring of network interfaces (``accel_net_ring``) joined by Python link models.

Every node has an injector (packets queued per node, random gaps) and an ejector (random back-pressure);
a scoreboard checks that every packet arrives exactly once, in order per (source, destination), at its
destination with its type, length and payload intact. One coroutine steps all links and ports each
cycle (drive after the edge, sample in ReadOnly), which is much faster than one coroutine per port.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from cocotb.triggers import ReadOnly, RisingEdge

from ..hw.net.link import LINK_COUNTERS
from ..hw.net.packet import NetFormat
from .link_model import LinkModel
from .tb import TB


@dataclass
class Packet:
    src: int
    dst: int
    type: int
    payload: list[int]
    injected_at: int = -1       # cycle its header entered the network
    ejected_at: int = -1        # cycle its last flit left it


class NetTB(TB):
    def __init__(self, dut, seed: int | None = None):
        super().__init__(dut, seed)
        self.net = self.config.network
        self.fmt = NetFormat(self.net)
        self.nodes = self.net.nodes
        self.links: list[LinkModel] = []
        for i in range(self.nodes):
            j = (i + 1) % self.nodes
            for tx, rx in ((f"n{i}__east_tx", f"n{j}__west_rx"), (f"n{j}__west_tx", f"n{i}__east_rx")):
                self.links.append(LinkModel(dut, tx, rx, self.rng, self.fmt.flit_width, self.fmt.control_width,
                                            fmt=self.fmt))
        self.inject_valid = [getattr(dut, f"n{i}__inject__valid") for i in range(self.nodes)]
        self.inject_data = [getattr(dut, f"n{i}__inject__payload") for i in range(self.nodes)]
        self.inject_ready = [getattr(dut, f"n{i}__inject__ready") for i in range(self.nodes)]
        self.eject_valid = [getattr(dut, f"n{i}__eject__valid") for i in range(self.nodes)]
        self.eject_data = [getattr(dut, f"n{i}__eject__payload") for i in range(self.nodes)]
        self.eject_ready = [getattr(dut, f"n{i}__eject__ready") for i in range(self.nodes)]
        self.inject_probability = 1.0
        self.eject_probability = [1.0] * self.nodes
        self.clear()

    def link(self, tx: str) -> LinkModel:
        """The link model whose sender is ``tx`` (e.g. ``n0__east_tx``)."""
        return next(link for link in self.links if link.tx == tx)

    def clear(self) -> None:
        """Forget all traffic (after a reset)."""
        self.queues: list[deque] = [deque() for _ in range(self.nodes)]     # (packet, flits) to inject
        self.current: list[list | None] = [None] * self.nodes     # [packet, flits, index, offered]
        self.expected: dict[tuple[int, int], deque] = defaultdict(deque)
        self.arriving: list[list[int]] = [[] for _ in range(self.nodes)]
        self.delivered: list[Packet] = []
        self.outstanding = 0
        self.errors: list[str] = []
        self.last_progress = 0
        for link in self.links:
            link.reset()

    async def reset(self, cycles: int = 3) -> None:
        await RisingEdge(self.dut.clk)      # callers may come from the ReadOnly phase
        await super().reset(cycles)

    def idle_inputs(self) -> None:
        for i in range(self.nodes):
            self.inject_valid[i].value = 0
            self.inject_data[i].value = 0
            self.eject_ready[i].value = 0
        for link in self.links:
            link.tx_ready.value = 0
            link.rx_valid.value = 0
            link.rx_ctrl_valid.value = 0
            link.driven = (None, None)

    # ------------------------------------------------------------------ traffic
    def packet_flits(self, packet: Packet) -> list[int]:
        header = self.fmt.pack_header(length=len(packet.payload), type=packet.type, src=0, dst=packet.dst)
        return [header, *packet.payload]

    def send(self, src: int, dst: int, length: int | None = None, type_: int | None = None) -> Packet:
        """Queue one packet with random payload (random length when ``length`` is None)."""
        rng = self.rng
        if length is None:
            length = int(rng.integers(self.net.max_payload_flits + 1))
        nbytes = self.fmt.flit_width // 8
        packet = Packet(src, dst, int(rng.integers(4)) if type_ is None else type_,
                        [int.from_bytes(rng.bytes(nbytes), "little") for _ in range(length)])
        self.queues[src].append((packet, self.packet_flits(packet)))
        if dst < self.nodes:
            self.expected[(src, dst)].append(packet)
            self.outstanding += 1
        return packet

    def random_traffic(self, packets_per_node: int, loopback: bool = False) -> None:
        """All-to-all: every node sends to random other nodes (and to itself when ``loopback``)."""
        for _ in range(packets_per_node):
            for src in range(self.nodes):
                choices = [d for d in range(self.nodes) if loopback or d != src]
                self.send(src, int(self.rng.choice(choices)))

    # ------------------------------------------------------------------ the cycle loop
    async def step(self) -> None:
        """One clock cycle of every port and link."""
        await RisingEdge(self.dut.clk)
        rng = self.rng
        for link in self.links:
            link.drive()
        for i in range(self.nodes):
            # Injector: a flit not yet offered may wait (a gap, also inside packets); an offered flit
            # stays until taken.
            if self.current[i] is None and self.queues[i]:
                packet, flits = self.queues[i].popleft()
                self.current[i] = [packet, flits, 0, False]
            current = self.current[i]
            if current is not None and not current[3]:
                if self.inject_probability >= 1 or rng.random() < self.inject_probability:
                    current[3] = True
                    self.inject_valid[i].value = 1
                    self.inject_data[i].value = current[1][current[2]]
                else:
                    self.inject_valid[i].value = 0
            elif current is None:
                self.inject_valid[i].value = 0
            p = self.eject_probability[i]
            self.eject_ready[i].value = 1 if p >= 1 or rng.random() < p else 0
        await ReadOnly()
        cycle = self.cycle
        for link in self.links:
            link.sample()
        for i in range(self.nodes):
            current = self.current[i]
            if current is not None and current[3] and self.inject_ready[i].value:
                packet, flits, index, _ = current
                if index == 0:
                    packet.injected_at = cycle
                current[2], current[3] = index + 1, False
                if index + 1 == len(flits):
                    self.current[i] = None
            if self.eject_valid[i].value and self.eject_ready[i].value:
                self._ejected(i, int(self.eject_data[i].value), cycle)

    def _ejected(self, node: int, flit: int, cycle: int) -> None:
        flits = self.arriving[node]
        flits.append(flit)
        length = self.fmt.unpack_header(flits[0])["length"]
        if len(flits) < length + 1:
            return
        self.arriving[node] = []
        head = self.fmt.unpack_header(flits[0])
        payload = flits[1:]
        self.last_progress = cycle
        queue = self.expected.get((head["src"], node))
        if head["dst"] != node:
            self.errors.append(f"node {node} ejected a packet for node {head['dst']} (from {head['src']})")
            return
        if not queue:
            self.errors.append(f"node {node}: unexpected packet from {head['src']} (duplicate?) {head}")
            return
        packet = queue.popleft()
        if (head["type"], payload) != (packet.type, packet.payload):
            self.errors.append(f"node {node}: packet from {head['src']} out of order or corrupted: expected "
                               f"type {packet.type} payload {packet.payload[:4]}..., got type {head['type']} "
                               f"payload {payload[:4]}...")
            return
        packet.ejected_at = cycle
        self.delivered.append(packet)
        self.outstanding -= 1

    async def run_until_delivered(self, stall_limit: int = 20000, max_cycles: int = 2_000_000) -> int:
        """Step until every queued packet has arrived; fail on a scoreboard error or a stall."""
        start = self.cycle
        self.last_progress = start
        while self.outstanding or any(self.queues) or any(c is not None for c in self.current):
            await self.step()
            self.check_errors()
            now = self.cycle
            if now - self.last_progress > stall_limit:
                raise AssertionError(f"no packet delivered for {stall_limit} cycles with {self.outstanding} "
                                     f"outstanding (deadlock?); counters: {self.counters()}")
            if now - start > max_cycles:
                raise AssertionError(f"traffic not finished after {max_cycles} cycles")
        return self.cycle - start

    async def run_cycles(self, cycles: int) -> None:
        for _ in range(cycles):
            await self.step()
            self.check_errors()

    def check_errors(self) -> None:
        """Fail on the first scoreboard or wire-protocol error."""
        if self.errors or any(link.protocol_errors for link in self.links):
            errors = self.errors + [e for link in self.links for e in link.protocol_errors]
            raise AssertionError(f"{len(errors)} scoreboard/protocol errors; first: {errors[0]}")

    # ------------------------------------------------------------------ counters
    def counters(self, node: int | None = None, port: str | None = None) -> dict[str, int]:
        """Hardware counters summed over the chosen nodes and ports."""
        totals = {name: 0 for name in LINK_COUNTERS}
        for i in range(self.nodes) if node is None else [node]:
            for p in ("east", "west") if port is None else [port]:
                for name in LINK_COUNTERS:
                    totals[name] += int(getattr(self.dut, f"n{i}__{p}_stats__{name}").value)
        return totals

    def bad_packets(self) -> int:
        return sum(int(getattr(self.dut, f"n{i}__bad_packets").value) for i in range(self.nodes))
