"""The link layer: one end of a reliable chip-to-chip link (sender + receiver), docs/network.md.

A physical link has two lanes per direction:

* the **data lane** carries packets as flits (``valid``, ``sop`` marks a header, ``data``); the PHY may
  refuse a flit (``ready`` low), the receiver always takes what arrives;
* the **control lane** carries, every cycle, the receiver's state back to the sender: the next sequence
  number it expects (a cumulative ACK), a NAK counter and, per virtual channel, how many buffer flits it
  has freed. The values are absolute counters protected by a CRC-8, so a corrupted or lost control word
  costs nothing: the next one carries the same information.

The sender (:class:`LinkSender`) assigns sequence numbers, keeps every unacknowledged packet in a replay
buffer and goes back to the oldest one on a NAK or when no ACK has come for ``retransmit_timeout``
cycles (go-back-N). It only takes a packet when the far receive buffer of the packet's virtual channel
has room for all of it (credits are charged once per packet, not per transmission, so a replay never
needs fresh credits). The receiver (:class:`LinkReceiver`) checks framing, length, sequence number and
CRC-32, keeps good in-order packets and drops everything else (sending one NAK per loss). The result
is exactly-once, in-order delivery of every packet handed to the sender.
"""

from amaranth import Array, Cat, Module, Mux, Signal
from amaranth.lib import crc, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .packet import NAK_COUNT_WIDTH, VIRTUAL_CHANNELS, NetFormat, control_crc, packet_crc

#: Event counters of a sender, of a receiver, and all a link end exports (``<port>_stats__<name>``).
SENDER_COUNTERS = (
    "tx_packets",        # packets sent for the first time
    "tx_replays",        # packets sent again (go-back-N)
    "tx_naks",           # NAKs received
    "tx_timeouts",       # retransmit timer expiries
    "tx_credit_stalls",  # cycles a waiting packet had no credits
    "tx_window_stalls",  # cycles a waiting packet found the replay buffer full
)
RECEIVER_COUNTERS = (
    "rx_packets",        # good packets kept
    "rx_crc_errors",     # packets dropped for a bad CRC
    "rx_dropped",        # headers refused: wrong sequence number (lost or duplicate packet) or length
    "rx_framing_errors", # packets cut short by the next header
    "rx_no_space",       # headers that claimed more room than the buffer had (never for a genuine packet)
)
LINK_COUNTERS = SENDER_COUNTERS + RECEIVER_COUNTERS + (
    "ctrl_errors",       # control words with a bad CRC-8
)
COUNTER_WIDTH = 32


class LinkLane(wiring.Signature):
    """One direction of a physical link, seen from the sending chip."""

    def __init__(self, fmt: NetFormat):
        super().__init__({
            "valid": Out(1),
            "sop": Out(1),                     # this flit is a header
            "data": Out(fmt.flit_width),
            "ready": In(1),                    # the PHY takes the flit this cycle
            "ctrl_valid": Out(1),
            "ctrl": Out(fmt.control_width),    # control fields, CRC-8 in the top byte
        })


def stats_signature(names=LINK_COUNTERS) -> wiring.Signature:
    return wiring.Signature({name: Out(COUNTER_WIDTH) for name in names})


def count(m: Module, counter: Signal, condition) -> None:
    with m.If(condition):
        m.d.sync += counter.eq(counter + 1)


class LinkSender(wiring.Component):
    """Replay buffer, sequence numbers, credits and go-back-N retransmission (one link direction).

    ``send`` takes a packet (header flit first, header.vc chosen by the router) when it fits: a free
    replay slot (``window_free``) and ``credits`` for ``length + 1`` flits on its virtual channel.
    """

    def __init__(self, fmt: NetFormat):
        self.fmt = fmt
        cfg = fmt.config
        self.slots = cfg.replay_packets
        self.slot_bits = (cfg.replay_packets - 1).bit_length()
        self.offset_bits = cfg.max_payload_flits.bit_length()       # header at offset 0, payload 1..length
        super().__init__({
            "send": In(stream.Signature(fmt.flit_width)),
            "credits": Out(fmt.credit_width).array(VIRTUAL_CHANNELS),
            "window_free": Out(1),
            "lane": Out(wiring.Signature({
                "valid": Out(1), "sop": Out(1), "data": Out(fmt.flit_width), "ready": In(1)})),
            "control": In(fmt.control_fields),      # the far receiver's state, already CRC-checked
            "control_valid": In(1),
            "credit_stall": In(1),                  # from the router: a packet waits for credits
            "window_stall": In(1),                  # ... for a free replay slot
            "stats": Out(stats_signature(SENDER_COUNTERS)),
        })

    def elaborate(self, platform):
        m = Module()
        fmt, cfg = self.fmt, self.fmt.config
        seq_w = fmt.seq_width
        header = fmt.header

        m.submodules.buffer = buffer = memory.Memory(
            shape=fmt.flit_width, depth=self.slots << self.offset_bits, init=[])
        wr = buffer.write_port()
        rd = buffer.read_port(domain="comb")
        lengths = Array(Signal(cfg.length_width(), name=f"length_{i}") for i in range(self.slots))

        ack_seq = Signal(seq_w)          # oldest unacknowledged packet
        enq_seq = Signal(seq_w)          # packet being (or next to be) written into the replay buffer
        enq_active = Signal()
        enq_off = Signal(self.offset_bits + 1)      # flits of packet enq_seq written so far
        enq_left = Signal(cfg.length_width())       # payload flits still to come
        send_seq = Signal(seq_w)         # packet being (or next to be) sent
        send_off = Signal(self.offset_bits + 1)     # 0 header, 1..length payload, length+1 CRC
        sent_hi = Signal(seq_w)          # one past the newest packet ever sent: first sends vs replays
        rewind = Signal()                # go back to ack_seq at the next packet boundary
        timer = Signal(range(cfg.retransmit_timeout + 1))
        charged = Array(Signal(fmt.credit_width, name=f"charged_{v}") for v in range(VIRTUAL_CHANNELS))
        freed = Array(Signal(fmt.credit_width, name=f"freed_{v}") for v in range(VIRTUAL_CHANNELS))
        last_nak = Signal(NAK_COUNT_WIDTH)

        def window(seq):
            """Packets from ack_seq up to (not including) seq."""
            return (seq - ack_seq)[:seq_w]

        outstanding = window(enq_seq)
        m.d.comb += self.window_free.eq(outstanding < self.slots)
        for v in range(VIRTUAL_CHANNELS):
            in_use = (charged[v] - freed[v])[:fmt.credit_width]
            m.d.comb += self.credits[v].eq(cfg.rx_buffer_flits - in_use)

        # ---------------------------------------------------------------- enqueue (router -> buffer)
        head = fmt.header_of(self.send.payload)
        head_fits = self.window_free & (Array(self.credits)[head.vc] >= head.length + 1)
        m.d.comb += self.send.ready.eq(enq_active | head_fits)
        slot_enq = enq_seq[:self.slot_bits]
        m.d.comb += [
            wr.addr.eq(Cat(enq_off[:self.offset_bits], slot_enq)),
            wr.data.eq(self.send.payload),
        ]
        with m.If(self.send.valid & self.send.ready):
            m.d.comb += wr.en.eq(1)
            with m.If(~enq_active):
                # The header: stamp the sequence number, charge the credits of the whole packet.
                seq_at = header["seq"].offset
                m.d.comb += wr.data.eq(Cat(self.send.payload[:seq_at], enq_seq,
                                           self.send.payload[seq_at + seq_w:]))
                m.d.sync += [
                    lengths[slot_enq].eq(head.length),
                    charged[head.vc].eq(charged[head.vc] + head.length + 1),
                    enq_left.eq(head.length),
                ]
                with m.If(head.length == 0):
                    m.d.sync += [enq_seq.eq(enq_seq + 1), enq_off.eq(0)]
                with m.Else():
                    m.d.sync += [enq_active.eq(1), enq_off.eq(1)]
            with m.Else():
                m.d.sync += [enq_off.eq(enq_off + 1), enq_left.eq(enq_left - 1)]
                with m.If(enq_left == 1):
                    m.d.sync += [enq_active.eq(0), enq_seq.eq(enq_seq + 1), enq_off.eq(0)]
        count(m, self.stats.tx_credit_stalls, self.credit_stall)
        count(m, self.stats.tx_window_stalls, self.window_stall)

        # ---------------------------------------------------------------- send (buffer -> lane)
        m.submodules.crc = gen = crc.Processor(packet_crc(fmt.flit_width))
        slot_send = send_seq[:self.slot_bits]
        length = lengths[slot_send]
        complete = send_seq != enq_seq                     # fully written (send never passes enqueue)
        in_window = window(send_seq) <= outstanding        # else everything up to ack_seq is acknowledged
        at_crc = send_off == length + 1
        available = in_window & Mux(complete, 1, enq_active & (send_off < enq_off) & ~at_crc)
        m.d.comb += [
            rd.addr.eq(Cat(send_off[:self.offset_bits], slot_send)),
            self.lane.valid.eq(available),
            self.lane.sop.eq(send_off == 0),
            self.lane.data.eq(Mux(at_crc, gen.crc, rd.data)),
        ]
        moved = self.lane.valid & self.lane.ready
        m.d.comb += [
            gen.data.eq(rd.data),
            gen.start.eq(send_off == 0),
            gen.valid.eq(moved & ~at_crc),
        ]
        first_send = window(send_seq) >= window(sent_hi)
        with m.If(~in_window):
            # An ACK overtook the packet being sent (after a replay): skip to the first unacknowledged
            # packet. A packet cut short here is one the receiver already has; it drops the rest.
            m.d.sync += [send_seq.eq(ack_seq), send_off.eq(0), rewind.eq(0)]
        with m.Elif(moved):
            with m.If(at_crc):
                m.d.sync += send_off.eq(0)
                with m.If(rewind):
                    m.d.sync += [send_seq.eq(ack_seq), rewind.eq(0)]
                with m.Else():
                    m.d.sync += send_seq.eq(send_seq + 1)
                with m.If(first_send):
                    m.d.sync += sent_hi.eq(send_seq + 1)
            with m.Else():
                m.d.sync += send_off.eq(send_off + 1)
            with m.If(send_off == 0):
                count(m, self.stats.tx_packets, first_send)
                count(m, self.stats.tx_replays, ~first_send)
        with m.Elif((send_off == 0) & rewind):
            m.d.sync += [send_seq.eq(ack_seq), rewind.eq(0)]

        # ---------------------------------------------------------------- ACK, NAK, credits, timer
        ctl = self.control
        ack_ok = window(ctl.ack) <= outstanding
        progress = Signal()
        with m.If(self.control_valid):
            with m.If(ack_ok):
                m.d.sync += ack_seq.eq(ctl.ack)
                m.d.comb += progress.eq(ctl.ack != ack_seq)
                with m.If(window(sent_hi) < window(ctl.ack)):
                    m.d.sync += sent_hi.eq(ctl.ack)
            for v in range(VIRTUAL_CHANNELS):
                m.d.sync += freed[v].eq(ctl.freed[v])
            with m.If(ctl.nak_count != last_nak):
                m.d.sync += [last_nak.eq(ctl.nak_count), rewind.eq(1)]
                count(m, self.stats.tx_naks, 1)
        unacknowledged = window(sent_hi) != 0
        with m.If(progress | ~unacknowledged | rewind):
            m.d.sync += timer.eq(0)
        with m.Elif(timer == cfg.retransmit_timeout):
            m.d.sync += [timer.eq(0), rewind.eq(1)]
            count(m, self.stats.tx_timeouts, 1)
        with m.Else():
            m.d.sync += timer.eq(timer + 1)
        return m


class VcBuffer(wiring.Component):
    """A receive FIFO whose writes stay invisible until committed (a good CRC) or are rolled back.

    ``freed`` counts, modulo 2**credit_width, the flits read out: the credits returned to the sender.
    """

    def __init__(self, fmt: NetFormat):
        self.fmt = fmt
        self.depth = fmt.config.rx_buffer_flits
        ptr = self.depth.bit_length()
        super().__init__({
            "write": In(1), "data": In(fmt.flit_width),
            "commit": In(1), "rollback": In(1),
            "space": Out(ptr),                          # flits that can still be written
            "out": Out(stream.Signature(fmt.flit_width)),
            "freed": Out(fmt.credit_width),
        })

    def elaborate(self, platform):
        m = Module()
        bits = self.depth.bit_length()
        m.submodules.mem = mem = memory.Memory(shape=self.fmt.flit_width, depth=self.depth, init=[])
        wr, rd = mem.write_port(), mem.read_port(domain="comb")
        # Pointers run modulo 2**credit_width (more than twice the depth), so the read pointer is also
        # the count of freed flits the sender's credits need.
        cw = self.fmt.credit_width
        head = Signal(cw)          # committed end
        tail = Signal(cw)          # tentative end
        read = Signal(cw)
        m.d.comb += self.freed.eq(read)
        # A rollback and the first write of the next packet may come in one cycle.
        base = Mux(self.rollback, head, tail)
        m.d.comb += [
            self.space.eq(self.depth - (base - read)[:bits]),
            wr.addr.eq(base[:bits - 1]), wr.data.eq(self.data), wr.en.eq(self.write),
            rd.addr.eq(read[:bits - 1]),
            self.out.valid.eq(read != head), self.out.payload.eq(rd.data),
        ]
        m.d.sync += tail.eq(base + self.write)
        with m.If(self.commit):
            m.d.sync += head.eq(tail)
        with m.If(self.out.valid & self.out.ready):
            m.d.sync += read.eq(read + 1)
        return m


class LinkReceiver(wiring.Component):
    """Framing, length, sequence and CRC checks, per-VC receive buffers, ACK/NAK and credit returns."""

    def __init__(self, fmt: NetFormat):
        self.fmt = fmt
        super().__init__({
            "lane": In(wiring.Signature({"valid": Out(1), "sop": Out(1), "data": Out(fmt.flit_width)})),
            "recv": Out(stream.Signature(fmt.flit_width)).array(VIRTUAL_CHANNELS),
            "control": Out(fmt.control_fields),     # what to tell the far sender
            "stats": Out(stats_signature(RECEIVER_COUNTERS)),
        })

    def elaborate(self, platform):
        m = Module()
        fmt, cfg = self.fmt, self.fmt.config
        buffers = []
        for v in range(VIRTUAL_CHANNELS):
            buf = VcBuffer(fmt)
            m.submodules[f"vc{v}"] = buf
            wiring.connect(m, buf.out, wiring.flipped(self.recv[v]))
            buffers.append(buf)
            m.d.comb += self.control.freed[v].eq(buf.freed)

        expected = Signal(fmt.seq_width)
        nak_count = Signal(NAK_COUNT_WIDTH)
        nak_sent = Signal()               # one NAK per loss: quiet until the expected packet arrives
        vc = Signal()
        left = Signal(cfg.length_width())
        # IDLE: between packets; PAYLOAD: storing; CHECK: the CRC flit is next; SKIP: dropping to next sop
        state = Signal(range(4))
        IDLE, PAYLOAD, CHECK, SKIP = range(4)
        m.d.comb += [self.control.ack.eq(expected), self.control.nak_count.eq(nak_count)]

        m.submodules.crc = chk = crc.Processor(packet_crc(fmt.flit_width))
        lane = self.lane
        head = fmt.header_of(lane.data)
        m.d.comb += [chk.data.eq(lane.data), chk.start.eq(lane.valid & lane.sop)]
        m.d.comb += [b.data.eq(lane.data) for b in buffers]     # written only where ``write`` says

        drop = Signal()                   # the packet in progress is lost: roll it back
        loss = Signal()                   # a packet was lost this cycle: NAK, unless already done
        fresh = Signal()                  # the expected packet starts: a NAK is due again if it fails
        with m.If(drop):
            m.d.comb += [b.rollback.eq(1) for b in buffers]
        with m.If((loss | drop) & ~nak_sent):
            m.d.sync += [nak_count.eq(nak_count + 1), nak_sent.eq(1)]
        with m.Elif(fresh):
            m.d.sync += nak_sent.eq(0)

        with m.If(lane.valid):
            with m.If(lane.sop):
                # A header, wherever we were: an unfinished packet before it is lost.
                m.d.comb += drop.eq(state.matches(PAYLOAD, CHECK))
                m.d.sync += [vc.eq(head.vc), left.eq(head.length)]
                fits = Array(b.space for b in buffers)[head.vc] >= head.length + 1
                m.d.comb += fresh.eq(head.seq == expected)
                good = fmt.length_ok(head.length) & (head.seq == expected) & fits
                with m.If(good):
                    m.d.comb += chk.valid.eq(1)
                    m.d.comb += [b.write.eq(head.vc == i) for i, b in enumerate(buffers)]
                    m.d.sync += state.eq(Mux(head.length == 0, CHECK, PAYLOAD))
                with m.Else():
                    m.d.sync += state.eq(SKIP)
                    m.d.comb += loss.eq(1)
                    count(m, self.stats.rx_dropped, fits)
                    count(m, self.stats.rx_no_space, ~fits)
            with m.Elif(state == PAYLOAD):
                m.d.comb += chk.valid.eq(1)
                m.d.comb += [b.write.eq(vc == i) for i, b in enumerate(buffers)]
                m.d.sync += left.eq(left - 1)
                with m.If(left == 1):
                    m.d.sync += state.eq(CHECK)
            with m.Elif(state == CHECK):
                m.d.sync += state.eq(IDLE)
                with m.If(lane.data[:32] == chk.crc):
                    m.d.comb += [b.commit.eq(vc == i) for i, b in enumerate(buffers)]
                    m.d.sync += [expected.eq(expected + 1), nak_sent.eq(0)]
                    count(m, self.stats.rx_packets, 1)
                with m.Else():
                    m.d.comb += drop.eq(1)
                    count(m, self.stats.rx_crc_errors, 1)
        count(m, self.stats.rx_framing_errors, drop & lane.sop)
        return m


class LinkEnd(wiring.Component):
    """One port of a chip: the sender of the outgoing direction and the receiver of the incoming one.

    ``tx`` is the outgoing physical lane pair (our packets, our receiver's control words), ``rx`` the
    incoming one (the far chip's packets, the far receiver's control words for our sender).
    """

    def __init__(self, fmt: NetFormat):
        self.fmt = fmt
        super().__init__({
            "tx": Out(LinkLane(fmt)),
            "rx": In(LinkLane(fmt)),
            "send": In(stream.Signature(fmt.flit_width)),
            "credits": Out(fmt.credit_width).array(VIRTUAL_CHANNELS),
            "window_free": Out(1),
            "credit_stall": In(1),
            "window_stall": In(1),
            "recv": Out(stream.Signature(fmt.flit_width)).array(VIRTUAL_CHANNELS),
            "stats": Out(stats_signature()),
        })

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        m.submodules.sender = sender = LinkSender(fmt)
        m.submodules.receiver = receiver = LinkReceiver(fmt)
        wiring.connect(m, wiring.flipped(self.send), sender.send)
        for v in range(VIRTUAL_CHANNELS):
            wiring.connect(m, receiver.recv[v], wiring.flipped(self.recv[v]))
            m.d.comb += self.credits[v].eq(sender.credits[v])
        m.d.comb += [self.window_free.eq(sender.window_free),
                     sender.credit_stall.eq(self.credit_stall), sender.window_stall.eq(self.window_stall)]

        # Data lanes.
        m.d.comb += [
            self.tx.valid.eq(sender.lane.valid), self.tx.sop.eq(sender.lane.sop),
            self.tx.data.eq(sender.lane.data), sender.lane.ready.eq(self.tx.ready),
            receiver.lane.valid.eq(self.rx.valid), receiver.lane.sop.eq(self.rx.sop),
            receiver.lane.data.eq(self.rx.data),
        ]
        # Outgoing control lane: our receiver's state, registered, with its CRC-8 a cycle later.
        width = fmt.control_fields.size
        m.submodules.ctrl_gen = gen = crc.Processor(control_crc(width))
        fields = Signal(width)
        m.d.comb += [gen.data.eq(receiver.control.as_value()), gen.start.eq(1), gen.valid.eq(1)]
        m.d.sync += [fields.eq(receiver.control.as_value()), self.tx.ctrl_valid.eq(1)]
        m.d.comb += self.tx.ctrl.eq(Cat(fields, gen.crc))
        # Incoming control lane: check the CRC-8 (a cycle later) before the sender believes it.
        m.submodules.ctrl_chk = chk = crc.Processor(control_crc(width))
        rx_fields = Signal(width)
        rx_crc = Signal(8)
        rx_valid = Signal()
        m.d.comb += [chk.data.eq(self.rx.ctrl[:width]), chk.start.eq(1), chk.valid.eq(1)]
        m.d.sync += [rx_fields.eq(self.rx.ctrl[:width]), rx_crc.eq(self.rx.ctrl[width:]),
                     rx_valid.eq(self.rx.ctrl_valid)]
        good = rx_valid & (chk.crc == rx_crc)
        m.d.comb += [sender.control.eq(rx_fields), sender.control_valid.eq(good)]
        count(m, self.stats.ctrl_errors, rx_valid & ~good)

        for part, names in ((sender, SENDER_COUNTERS), (receiver, RECEIVER_COUNTERS)):
            for name in names:
                m.d.comb += getattr(self.stats, name).eq(getattr(part.stats, name))
        return m
