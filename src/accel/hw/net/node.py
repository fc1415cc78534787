"""A chip's network interface (router + two link ends), and a ring of them for simulation."""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ...config import NetworkConfig
from ..ports import forward_ports
from .link import COUNTER_WIDTH, LinkEnd, LinkLane, stats_signature
from .packet import VIRTUAL_CHANNELS, NetFormat
from .router import RingRouter


def node_signature(fmt: NetFormat, with_node_id: bool = True) -> wiring.Signature:
    members = {
        "inject": In(stream.Signature(fmt.flit_width)),   # packets from this chip (header flit first)
        "eject": Out(stream.Signature(fmt.flit_width)),   # packets for this chip
        "east_tx": Out(LinkLane(fmt)), "east_rx": In(LinkLane(fmt)),   # link to node id + 1
        "west_tx": Out(LinkLane(fmt)), "west_rx": In(LinkLane(fmt)),   # link to node id - 1
        "east_stats": Out(stats_signature()),
        "west_stats": Out(stats_signature()),
        "bad_packets": Out(COUNTER_WIDTH),
    }
    if with_node_id:
        members["node_id"] = In(fmt.node_width)   # strap pins: this chip's place on the ring
    return wiring.Signature(members)


class NetworkNode(wiring.Component):
    """The network interface of one chip. Ports: ``node_id``, ``inject``/``eject`` streams, the east and
    west links (``east_tx``/``east_rx``, ...), per-link counters and ``bad_packets``."""

    def __init__(self, config: NetworkConfig):
        self.fmt = NetFormat(config)
        super().__init__(node_signature(self.fmt))

    def elaborate(self, platform):
        m = Module()
        m.submodules.router = router = RingRouter(self.fmt)
        m.submodules.east = east = LinkEnd(self.fmt)
        m.submodules.west = west = LinkEnd(self.fmt)
        m.d.comb += [router.node_id.eq(self.node_id), self.bad_packets.eq(router.bad_packets)]
        wiring.connect(m, wiring.flipped(self.inject), router.inject)
        wiring.connect(m, router.eject, wiring.flipped(self.eject))
        sides = ((east, router.east, router.from_east, self.east_tx, self.east_rx, self.east_stats),
                 (west, router.west, router.from_west, self.west_tx, self.west_rx, self.west_stats))
        for end, out, arriving, tx, rx, stats in sides:
            wiring.connect(m, out.flits, end.send)
            m.d.comb += [out.window_free.eq(end.window_free),
                         end.credit_stall.eq(out.credit_stall), end.window_stall.eq(out.window_stall)]
            for v in range(VIRTUAL_CHANNELS):
                m.d.comb += out.credits[v].eq(end.credits[v])
                wiring.connect(m, end.recv[v], arriving[v])
            wiring.connect(m, end.tx, wiring.flipped(tx))
            wiring.connect(m, wiring.flipped(rx), end.rx)
            wiring.connect(m, end.stats, wiring.flipped(stats))
        return m


class NetworkRing(wiring.Component):
    """``nodes`` network interfaces with ids 0..N-1 and their link ports exposed, so that a testbench can
    join node i's east link to node i+1's west link through a link model (``n<i>__east_tx__data``, ...)."""

    def __init__(self, config: NetworkConfig):
        self.config = config
        fmt = NetFormat(config)
        super().__init__({f"n{i}": Out(node_signature(fmt, with_node_id=False)) for i in range(config.nodes)})

    def elaborate(self, platform):
        m = Module()
        for i in range(self.config.nodes):
            node = NetworkNode(self.config)
            m.submodules[f"node{i}"] = node
            m.d.comb += node.node_id.eq(i)
            forward_ports(m, getattr(self, f"n{i}"), node)
        return m
