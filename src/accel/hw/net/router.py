"""The ring router of one chip: shortest-direction routing with a dateline for deadlock freedom.

Inputs: the local ``inject`` stream and, per incoming link, one buffer per virtual channel. Outputs: the
``east`` link (clockwise, to node id + 1), the ``west`` link (counter-clockwise, to node id - 1) and the
local ``eject`` stream. A packet goes the shorter way round (clockwise on a tie) and never turns, so the
two directions are two independent unidirectional rings.

Deadlock freedom (the dateline): packets start on virtual channel 0 and move to virtual channel 1 when
they have crossed their ring's wrap-around link (node N-1 -> 0 clockwise, 0 -> N-1 counter-clockwise).
A packet travels at most N/2 hops, so it never reaches the wrap-around link again on channel 1: the
channel dependency graph ``c0.vc0 -> c1.vc0 -> ... -> c(N-1).vc0 -> c0.vc1 -> ... -> c(N-2).vc1`` has no
cycle. Each output carries whole packets (virtual cut-through): a link output is granted only when the
far buffer has credits for the whole packet, and the ejection port always drains eventually, so every
packet that holds a resource can complete.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .link import COUNTER_WIDTH, count
from .packet import VIRTUAL_CHANNELS, NetFormat

# Input and output numbering.
INPUTS = ("inject", "west_vc0", "west_vc1", "east_vc0", "east_vc1")
OUTPUTS = ("eject", "east", "west", "discard")
EJECT, EAST, WEST, DISCARD = range(4)


def round_robin(m: Module, requests: list, last: Signal) -> Signal:
    """Index of the first request after ``last`` in circular order (meaningful when any request is set)."""
    n = len(requests)
    grant = Signal(range(n))
    with m.Switch(last):
        for previous in range(n):
            with m.Case(previous):
                # Later assignments win, so walk the circle backwards: the nearest request is set last.
                for step in reversed(range(1, n + 1)):
                    index = (previous + step) % n
                    with m.If(requests[index]):
                        m.d.comb += grant.eq(index)
    return grant


class RingRouter(wiring.Component):
    """``credits``/``window_free`` of each link output come from its :class:`LinkSender`."""

    def __init__(self, fmt: NetFormat):
        self.fmt = fmt
        flit = stream.Signature(fmt.flit_width)
        link_out = wiring.Signature({
            "flits": Out(flit),
            "credits": In(fmt.credit_width).array(VIRTUAL_CHANNELS),
            "window_free": In(1),
            "credit_stall": Out(1),    # a packet waits for this link's credits
            "window_stall": Out(1),    # a packet waits for a free replay slot
        })
        super().__init__({
            "node_id": In(fmt.node_width),
            "inject": In(flit),
            "eject": Out(flit),
            "from_west": In(flit).array(VIRTUAL_CHANNELS),   # clockwise traffic arriving from node - 1
            "from_east": In(flit).array(VIRTUAL_CHANNELS),   # counter-clockwise traffic from node + 1
            "east": Out(link_out),
            "west": Out(link_out),
            "bad_packets": Out(COUNTER_WIDTH),   # injected packets dropped: destination or length invalid
        })

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        nodes = fmt.config.nodes
        me = self.node_id
        inputs = [self.inject, *self.from_west, *self.from_east]
        heads = [fmt.header_of(i.payload) for i in inputs]
        # Injected packets with a destination off the ring or an over-long payload would never be
        # delivered (or would circle for ever): they go to a sink that drops them and counts them.
        discard = stream.Signature(fmt.flit_width).create(path=("discard",))
        m.d.comb += discard.ready.eq(1)
        out_streams = [self.eject, self.east.flits, self.west.flits, discard]
        links = {EAST: self.east, WEST: self.west}

        # Route and outgoing virtual channel of each input's head packet.
        route = [Signal(range(len(OUTPUTS)), name=f"route_{name}") for name in INPUTS]
        out_vc = [Signal(name=f"vc_{name}") for name in INPUTS]
        distance = Signal(range(nodes), name="cw_distance")     # clockwise hops from here to the destination
        around = Signal(range(2 * nodes), name="cw_distance_plus_n")
        m.d.comb += [around.eq(heads[0].dst + nodes - me),
                     distance.eq(Mux(around >= nodes, around - nodes, around))]
        clockwise = Const(1) if nodes == 2 else distance <= nodes // 2     # the shorter way; east on a tie
        valid_inject = (heads[0].dst < nodes) & fmt.length_ok(heads[0].length)
        m.d.comb += route[0].eq(Mux(~valid_inject, DISCARD,
                                    Mux(heads[0].dst == me, EJECT, Mux(clockwise, EAST, WEST))))
        for i, name in enumerate(INPUTS[1:], start=1):
            from_west = name.startswith("west")
            arrived_vc = 1 if name.endswith("vc1") else 0
            onward = EAST if from_west else WEST
            m.d.comb += route[i].eq(Mux(heads[i].dst == me, EJECT, onward))
            # Crossed the wrap-around link just now (into node 0 clockwise, into N-1 the other way)?
            wrapped = (me == 0) if from_west else (me == nodes - 1)
            m.d.comb += out_vc[i].eq(arrived_vc | wrapped)

        # A head packet may take its output when the output is free and (for links) the far buffer of
        # its virtual channel has room for all of it and the replay buffer has a free slot.
        eligible = []
        credit_waits = {o: [] for o in links}
        window_waits = {o: [] for o in links}
        for i in range(len(INPUTS)):
            ok = Signal(name=f"eligible_{INPUTS[i]}")
            fits = Signal(name=f"fits_{INPUTS[i]}")
            with m.Switch(route[i]):
                with m.Case(EJECT, DISCARD):
                    m.d.comb += fits.eq(1)
                for o, link in links.items():
                    with m.Case(o):
                        room = Array(link.credits)[out_vc[i]] >= heads[i].length + 1
                        m.d.comb += fits.eq(link.window_free & room)
                    waiting = inputs[i].valid & (route[i] == o)
                    credit_waits[o].append(waiting & link.window_free & ~room)
                    window_waits[o].append(waiting & ~link.window_free)
            m.d.comb += ok.eq(inputs[i].valid & fits)
            eligible.append(ok)

        busy_of = [Signal(name=f"{name}_busy") for name in OUTPUTS]
        sources = [Signal(range(len(INPUTS)), name=f"{name}_source") for name in OUTPUTS]
        # An input being forwarded shows a payload flit, not a header: it requests nothing. An input
        # at a header routes to one output only, so no input is ever wanted by two outputs.
        forwarding = [Signal(name=f"forwarding_{name}") for name in INPUTS]
        for i in range(len(INPUTS)):
            m.d.comb += forwarding[i].eq(Cat(b & (s == i) for b, s in zip(busy_of, sources)).any())
        for o, link in links.items():
            m.d.comb += [
                link.credit_stall.eq(Cat(w & ~f for w, f in zip(credit_waits[o], forwarding)).any()),
                link.window_stall.eq(Cat(w & ~f for w, f in zip(window_waits[o], forwarding)).any()),
            ]
        for o, out in enumerate(out_streams):
            name = OUTPUTS[o]
            busy, source = busy_of[o], sources[o]
            at_header = Signal(name=f"{name}_at_header")
            left = Signal(fmt.config.length_width(), name=f"{name}_left")
            requests = Signal(len(INPUTS), name=f"{name}_requests")
            m.d.comb += requests.eq(Cat(eligible[i] & ~forwarding[i] & (route[i] == o)
                                        for i in range(len(INPUTS))))
            grant = round_robin(m, list(requests), source)
            with m.If(~busy & requests.any()):
                m.d.sync += [busy.eq(1), source.eq(grant), at_header.eq(1)]
            if o == DISCARD:
                count(m, self.bad_packets, ~busy & requests.any())

            # Forward the granted input's flits; rewrite the header on its way out.
            src = Array(inputs)[source]
            head = Array(heads)[source]
            flit = Signal(fmt.flit_width, name=f"{name}_flit")
            rewritten = fmt.header_of(flit)
            m.d.comb += flit.eq(src.payload)
            with m.If(at_header):
                with m.If(source == 0):
                    m.d.comb += rewritten.src.eq(me)
                if o in links:
                    m.d.comb += rewritten.vc.eq(Array(out_vc)[source])
            m.d.comb += [out.valid.eq(busy & src.valid), out.payload.eq(flit)]
            with m.If(busy):
                with m.Switch(source):
                    for i in range(len(INPUTS)):
                        with m.Case(i):
                            m.d.comb += inputs[i].ready.eq(out.ready)
            with m.If(out.valid & out.ready):
                m.d.sync += at_header.eq(0)
                with m.If(at_header):
                    m.d.sync += left.eq(head.length)
                    with m.If(head.length == 0):
                        m.d.sync += busy.eq(0)
                with m.Elif(left == 1):
                    m.d.sync += busy.eq(0)
                with m.Else():
                    m.d.sync += left.eq(left - 1)
        return m
