"""DMA engines between HBM and the on-chip memories: the LOAD unit and the STORE unit.

Both address HBM in bursts, interleaved over the pseudo-channels (channel = burst address modulo
channels), and pack ``rows_per_burst`` scratchpad rows into a burst (see accel.arch.geometry).
"""

from amaranth import Array, Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ...arch.geometry import Geometry
from ...arch.isa import Flag
from ..memory import ReadPortSignature, RowReader
from ..requant import SHIFT_WIDTH, Requantizer
from .units import UnitSignature, sp_write_layout

#: Read bursts a LOAD may have in flight (covers the HBM latency at one burst per cycle).
LOAD_OUTSTANDING = 16
#: LOAD instructions whose requests are out while earlier ones are still being written.
LOAD_JOBS = 4


def channel_of(geometry: Geometry, addr):
    return addr[:geometry.channel_bits] if geometry.channel_bits else 0


class LoadUnit(wiring.Component):
    """LOAD hbm, sp, rows: read ``bursts(rows)`` bursts from ``hbm`` on and write ``rows`` rows from ``sp``.

    Two stages, so that back-to-back LOADs overlap their HBM latency: the request stage takes an
    instruction, queues its destination (``jobs``) and sends its burst requests as fast as the channels
    take them (up to LOAD_OUTSTANDING in flight), then takes the next instruction; the write stage takes
    jobs in order and writes one scratchpad row per cycle from the responses. A FIFO of the channel each
    request went to puts the responses, which come back in order per channel, back in request order. An
    instruction is done when its last row is written.
    """

    def __init__(self, geometry: Geometry):
        self.g = g = geometry
        super().__init__({
            "ctl": Out(UnitSignature()),
            "req": Out(stream.Signature(g.hbm_addr_width)),               # a burst address to read
            "resp": In(stream.Signature(g.burst_bits)).array(g.channels),  # read data, per channel
            "sp_write": Out(stream.Signature(sp_write_layout(g.sp_addr_width, g.row_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        g = self.g
        P = g.rows_per_burst
        instr = self.ctl.instr.payload

        job_layout = data.StructLayout({"sp": unsigned(g.sp_addr_width), "rows": unsigned(16), "signal": unsigned(4)})
        m.submodules.jobs = jobs = SyncFIFO(width=job_layout.size, depth=LOAD_JOBS)
        m.submodules.order = order = SyncFIFO(width=max(1, g.channel_bits), depth=LOAD_OUTSTANDING)

        # ---- request stage
        req_addr = Signal(g.hbm_addr_width)
        req_rows = Signal(16)           # rows of the current instruction not yet covered by a request
        m.d.comb += [
            self.ctl.instr.ready.eq((req_rows == 0) & jobs.w_rdy),
            jobs.w_en.eq(self.ctl.instr.valid & self.ctl.instr.ready),
            jobs.w_data.eq(Cat(instr.sp[:g.sp_addr_width], instr.rows, instr.signal)),
            self.req.valid.eq((req_rows != 0) & order.w_rdy),
            self.req.payload.eq(req_addr),
            order.w_en.eq(self.req.valid & self.req.ready),
            order.w_data.eq(channel_of(g, req_addr)),
        ]
        with m.If(self.req.valid & self.req.ready):
            m.d.sync += [req_addr.eq(req_addr + 1), req_rows.eq(Mux(req_rows > P, req_rows - P, 0))]
        with m.If(jobs.w_en):
            m.d.sync += [req_addr.eq(instr.hbm), req_rows.eq(instr.rows)]

        # ---- write stage: one job at a time, one scratchpad row per cycle from the current burst
        job = job_layout(jobs.r_data)
        writing = Signal()
        signal = Signal(4)
        sp_ptr = Signal(g.sp_addr_width)
        rows_left = Signal(16)          # rows of the current job not yet written
        burst = Signal(g.burst_bits)
        slots = Signal(range(P + 1))    # rows of ``burst`` still to write
        write = self.sp_write
        m.d.comb += [
            write.valid.eq(slots != 0),
            write.payload.addr.eq(sp_ptr),
            write.payload.data.eq(burst[:g.row_bits]),
        ]
        wrote = write.valid & write.ready
        rows_after = Signal.like(rows_left)
        m.d.comb += rows_after.eq(rows_left - wrote)

        # Take the next burst (in request order) when the current one is used up and the job needs more.
        resps = list(self.resp)
        head = order.r_data if g.channel_bits else 0
        can_take = writing & (rows_after != 0) & ((slots == 0) | ((slots == 1) & wrote))
        take = Array(r.valid for r in resps)[head] & order.r_rdy & can_take
        for c, resp in enumerate(resps):
            m.d.comb += resp.ready.eq(order.r_rdy & can_take & (head == c))
        m.d.comb += order.r_en.eq(take)
        with m.If(take):
            m.d.sync += [burst.eq(Array(r.payload for r in resps)[head]),
                         slots.eq(Mux(rows_after >= P, P, rows_after))]
        with m.Elif(wrote):
            m.d.sync += [burst.eq(burst >> g.row_bits), slots.eq(slots - 1)]
        with m.If(wrote):
            m.d.sync += [sp_ptr.eq(sp_ptr + 1), rows_left.eq(rows_after)]

        finished = writing & (rows_left == 0)
        m.d.comb += [
            jobs.r_en.eq(~writing & jobs.r_rdy),
            self.ctl.busy.eq((req_rows != 0) | jobs.r_rdy | writing),
            self.ctl.done[0].eq(finished),
            self.ctl.done_signal[0].eq(signal),
        ]
        with m.If(finished):
            m.d.sync += writing.eq(0)
        with m.If(jobs.r_en):
            m.d.sync += [writing.eq(1), sp_ptr.eq(job.sp), rows_left.eq(job.rows), signal.eq(job.signal)]
        return m


def store_request_layout(geometry: Geometry) -> data.StructLayout:
    return data.StructLayout({"addr": unsigned(geometry.hbm_addr_width), "wdata": unsigned(geometry.burst_bits)})


class StoreUnit(wiring.Component):
    """STORE acc|sp, hbm, rows [scale shift RELU FROM_SP]: rows -> packed bursts -> HBM writes.

    Accumulator rows go through the :class:`Requantizer` (``scale``, ``shift``, ``RELU`` from the
    instruction) to ``cols`` int8 lanes; with FROM_SP, scratchpad rows are stored unchanged. A last burst
    that is not full has zeros in its unused rows. The instruction is done when every write has been
    acknowledged, so a LOAD that waits for it reads the new data.
    """

    def __init__(self, geometry: Geometry):
        self.g = g = geometry
        super().__init__({
            "ctl": Out(UnitSignature()),
            "acc_rd": Out(ReadPortSignature(g.acc_addr_width, g.cols * g.acc_width)),
            "sp_rd": Out(ReadPortSignature(g.sp_addr_width, g.row_bits)),
            "req": Out(stream.Signature(store_request_layout(g))),
            "write_done": In(g.channels),     # one pulse per acknowledged write, per channel
        })

    def elaborate(self, platform):
        m = Module()
        g = self.g
        P, RB = g.rows_per_burst, g.row_bits
        instr = self.ctl.instr.payload

        m.submodules.acc_reader = acc_reader = RowReader(g.acc_addr_width, g.cols * g.acc_width)
        m.submodules.sp_reader = sp_reader = RowReader(g.sp_addr_width, g.row_bits)
        m.submodules.requant = requant = Requantizer(
            g.cols, g.acc_width, g.input_width, lanes_per_cycle=g.requant_lanes,
            scale_bits_per_cycle=g.requant_scale_bits)
        wiring.connect(m, wiring.flipped(self.acc_rd), acc_reader.rd)
        wiring.connect(m, wiring.flipped(self.sp_rd), sp_reader.rd)

        active = Signal()
        signal = Signal(4)
        from_sp = Signal()
        scale = Signal(16)
        shift = Signal(SHIFT_WIDTH)
        relu = Signal()
        hbm_ptr = Signal(g.hbm_addr_width)
        rows_left = Signal(16)          # rows not yet packed
        outstanding = Signal(8)         # writes sent, not yet acknowledged

        start = self.ctl.instr.valid & self.ctl.instr.ready
        m.d.comb += [
            acc_reader.start.eq(start & ~(instr.flags & Flag.FROM_SP).any()),
            acc_reader.base.eq(instr.acc),
            acc_reader.count.eq(instr.rows),
            sp_reader.start.eq(start & (instr.flags & Flag.FROM_SP).any()),
            sp_reader.base.eq(instr.sp),
            sp_reader.count.eq(instr.rows),
            requant.scale.eq(scale),
            requant.shift.eq(shift),
            requant.relu.eq(relu),
        ]
        wiring.connect(m, acc_reader.rows, requant.input)

        # ---- the row stream: requantized accumulators or raw scratchpad rows
        row_valid = Mux(from_sp, sp_reader.rows.valid, requant.output.valid)
        row_data = Mux(from_sp, sp_reader.rows.payload, requant.output.payload)
        burst = Signal(P * RB)
        filled = Signal(range(P + 1))
        full = Signal()                 # ``burst`` is complete and waits for the request channel
        row_ready = ~full
        m.d.comb += [sp_reader.rows.ready.eq(row_ready & from_sp), requant.output.ready.eq(row_ready & ~from_sp)]
        packed = row_valid & row_ready
        with m.If(packed):
            for slot in range(P):
                with m.If(filled == slot):
                    m.d.sync += burst[slot * RB:(slot + 1) * RB].eq(row_data)
            m.d.sync += [filled.eq(filled + 1), rows_left.eq(rows_left - 1)]
            with m.If((filled == P - 1) | (rows_left == 1)):
                m.d.sync += full.eq(1)

        # ---- write requests and acknowledgements
        m.d.comb += [
            self.req.valid.eq(full),
            self.req.payload.addr.eq(hbm_ptr),
            self.req.payload.wdata.eq(burst),
        ]
        sent = self.req.valid & self.req.ready
        with m.If(sent):
            m.d.sync += [full.eq(0), filled.eq(0), burst.eq(0), hbm_ptr.eq(hbm_ptr + 1)]
        acks = sum(self.write_done[c] for c in range(g.channels))
        m.d.sync += outstanding.eq(outstanding + sent - acks)

        finished = active & (rows_left == 0) & ~full & (outstanding == 0)
        m.d.comb += [
            self.ctl.instr.ready.eq(~active),
            self.ctl.busy.eq(active),
            self.ctl.done[0].eq(finished),
            self.ctl.done_signal[0].eq(signal),
        ]
        with m.If(finished):
            m.d.sync += active.eq(0)
        with m.If(start):
            m.d.sync += [
                active.eq(1), signal.eq(instr.signal), from_sp.eq((instr.flags & Flag.FROM_SP).any()),
                relu.eq((instr.flags & Flag.RELU).any()), scale.eq(instr.scale), shift.eq(instr.shift),
                hbm_ptr.eq(instr.hbm), rows_left.eq(instr.rows),
            ]
        return m
