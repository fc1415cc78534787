"""Instruction fetch: reads a program the host put in HBM into the command queue.

Pushing instructions word by word through AXI4-Lite costs the host four bus writes each, which a busy
array outruns; so, as in VTA, the host may instead write the program into HBM (device memory) and start
a fetch: ``program_addr`` (burst address), ``program_count`` (instructions), then any write to ``fetch``.
Instructions are packed ``burst_bits // 128`` to a burst, first in the low bits.

A read response cannot wait at the head of a channel's in-order response queue (the LOAD unit's data
would wait behind it), so a burst is requested only when the command queue has room for everything
already requested plus this burst.
"""

from amaranth import Array, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ...arch.geometry import Geometry
from ...arch.isa import INSTRUCTION_BITS
from .dma import LOAD_OUTSTANDING, channel_of


class FetchUnit(wiring.Component):
    """Reads ``count`` instructions from HBM burst address ``addr`` on a ``start`` (the CSR ``fetch``
    write) into the command queue (``out``), requesting a burst only when the queue has room for it."""

    def __init__(self, geometry: Geometry):
        self.g = g = geometry
        self.per_burst = g.instructions_per_burst
        members = {
            "start": In(stream.Signature(1)),         # a fetch request (the CSR write)
            "addr": In(32),
            "count": In(32),
            "busy": Out(1),
            "req": Out(stream.Signature(g.hbm_addr_width)),
            "out": Out(stream.Signature(INSTRUCTION_BITS)),
            "queue_free": In(range(g.command_queue_depth + 1)),   # free command-queue entries
            "resp": In(stream.Signature(g.burst_bits)).array(g.channels),   # read data, per channel
        }
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        g, per_burst = self.g, self.per_burst
        m.submodules.order = order = SyncFIFO(width=max(1, g.channel_bits), depth=LOAD_OUTSTANDING)

        req_addr = Signal(g.hbm_addr_width)
        to_request = Signal(32)         # instructions not yet covered by a request
        to_write = Signal(32)           # instructions not yet written into the command queue
        in_flight = Signal(16)          # instructions requested, not yet written
        burst = Signal(g.burst_bits)
        slots = Signal(range(per_burst + 1))

        batch = Mux(to_request > per_burst, per_burst, to_request)
        room = self.queue_free >= in_flight + per_burst
        m.d.comb += [
            self.start.ready.eq(to_write == 0),
            self.busy.eq(to_write != 0),
            self.req.valid.eq((to_request != 0) & order.w_rdy & room),
            self.req.payload.eq(req_addr),
            order.w_en.eq(self.req.valid & self.req.ready),
            order.w_data.eq(channel_of(g, req_addr)),
        ]
        requested = self.req.valid & self.req.ready

        m.d.comb += [self.out.valid.eq(slots != 0), self.out.payload.eq(burst[:INSTRUCTION_BITS])]
        wrote = self.out.valid & self.out.ready
        resps = list(self.resp)
        head = order.r_data if g.channel_bits else 0
        can_take = (slots == 0) | ((slots == 1) & wrote)
        take = Array(r.valid for r in resps)[head] & order.r_rdy & can_take
        for c, resp in enumerate(resps):
            m.d.comb += resp.ready.eq(order.r_rdy & can_take & (head == c))
        m.d.comb += order.r_en.eq(take)
        left_after = to_write - wrote
        with m.If(take):
            m.d.sync += [burst.eq(Array(r.payload for r in resps)[head]),
                         slots.eq(Mux(left_after >= per_burst, per_burst, left_after))]
        with m.Elif(wrote):
            m.d.sync += [burst.eq(burst >> INSTRUCTION_BITS), slots.eq(slots - 1)]

        m.d.sync += [to_write.eq(left_after), in_flight.eq(in_flight + Mux(requested, batch, 0) - wrote)]
        with m.If(requested):
            m.d.sync += [req_addr.eq(req_addr + 1), to_request.eq(to_request - batch)]
        with m.If(self.start.valid & self.start.ready):
            m.d.sync += [req_addr.eq(self.addr), to_request.eq(self.count), to_write.eq(self.count)]
        return m
