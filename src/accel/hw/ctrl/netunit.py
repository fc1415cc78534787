"""The NET unit: scratchpad regions to and from other chips (SEND and RECV), over the network interface.

SEND sp, rows, node, acc: rows ``sp..sp+rows-1`` go to chip ``node`` and land at its scratchpad rows
``acc..`` (a remote write, like RDMA). Each packet carries up to ``rows_per_packet`` rows: header, one
flit with the destination row, then each row as ``flits_per_row`` flits (least significant first).

Arriving packets are written into this chip's scratchpad whatever the unit is doing, and counted. RECV
rows waits until that many rows have arrived (since the rows earlier RECVs claimed), so a program can
use data another chip sent. Rows addressed past the scratchpad are dropped and counted (``rx_dropped``).
"""

from amaranth import Array, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ...arch.geometry import Geometry
from ...arch.isa import Opcode
from ..memory import ReadPortSignature, RowReader
from ..net.packet import PACKET_TYPES, NetFormat
from .units import UnitSignature, sp_write_layout


class NetUnit(wiring.Component):
    """SEND sp, rows, node: scratchpad rows packed into packets to ``inject`` for another chip; RECV
    rows: waits for that many rows arriving on ``eject`` (each written where its packet says, through
    ``sp_write``). ``sent_rows``, ``received_rows`` and ``rx_dropped`` count for the CSR counters."""

    def __init__(self, geometry: Geometry, fmt: NetFormat):
        self.g, self.fmt = geometry, fmt
        members = {"ctl": Out(UnitSignature()), "sp_rd": Out(ReadPortSignature(geometry.sp_addr_width, geometry.row_bits))}
        members["sp_write"] = Out(stream.Signature(sp_write_layout(geometry.sp_addr_width, geometry.row_bits)))
        members["inject"] = Out(stream.Signature(fmt.flit_width))
        members["eject"] = In(stream.Signature(fmt.flit_width))
        members["node_id"] = In(fmt.node_width)
        members["sent_rows"] = Out(32)
        members["received_rows"] = Out(32)
        members["rx_dropped"] = Out(32)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        g, fmt = self.g, self.fmt
        FW, FPR, RPP = fmt.flit_width, g.flits_per_row, g.rows_per_packet
        instr = self.ctl.instr.payload

        def flits_of(row):
            return Array(row[i * FW:(i + 1) * FW] for i in range(FPR))

        # ------------------------------------------------------------------ SEND
        m.submodules.reader = reader = RowReader(g.sp_addr_width, g.row_bits)
        wiring.connect(m, wiring.flipped(self.sp_rd), reader.rd)
        sending = Signal()
        receiving = Signal()            # a RECV waits for rows
        signal = Signal(4)
        dst = Signal(fmt.node_width)
        remote = Signal(16)
        rows_left = Signal(16)
        packet_rows = Signal(range(RPP + 1))
        row = Signal(FPR * FW)
        have_row = Signal()
        flit = Signal(range(max(2, FPR)))
        phase = Signal(2)               # 0 header, 1 address, 2 rows
        header = Signal(fmt.header)
        first_rows = Signal(16)
        m.d.comb += first_rows.eq(Mux(rows_left > RPP, RPP, rows_left))
        m.d.comb += [
            header.length.eq(1 + first_rows * FPR),
            header.type.eq(PACKET_TYPES["data"]),
            header.src.eq(self.node_id),
            header.dst.eq(dst),
        ]
        inject = self.inject
        with m.Switch(phase):
            with m.Case(0):
                m.d.comb += [inject.valid.eq(sending & (rows_left != 0)), inject.payload.eq(header.as_value())]
                with m.If(inject.valid & inject.ready):
                    m.d.sync += [phase.eq(1), packet_rows.eq(first_rows)]
            with m.Case(1):
                m.d.comb += [inject.valid.eq(1), inject.payload.eq(remote)]
                with m.If(inject.ready):
                    m.d.sync += phase.eq(2)
            with m.Case(2):
                m.d.comb += [inject.valid.eq(have_row), inject.payload.eq(flits_of(row)[flit]),
                             reader.rows.ready.eq(~have_row)]
                with m.If(reader.rows.valid & ~have_row):
                    m.d.sync += [row.eq(reader.rows.payload), have_row.eq(1)]
                with m.If(inject.valid & inject.ready):
                    m.d.sync += flit.eq(flit + 1)
                    with m.If(flit == FPR - 1):
                        m.d.sync += [flit.eq(0), have_row.eq(0), rows_left.eq(rows_left - 1),
                                     remote.eq(remote + 1), packet_rows.eq(packet_rows - 1),
                                     self.sent_rows.eq(self.sent_rows + 1)]
                        with m.If(packet_rows == 1):
                            m.d.sync += phase.eq(0)
        send_finished = sending & (rows_left == 0)

        # ------------------------------------------------------------------ receive path (always on)
        eject = self.eject
        rx_phase = Signal(2)            # 0 header, 1 address, 2 rows
        rx_left = Signal(fmt.config.length_width())
        rx_addr = Signal(16)
        rx_row = Signal(FPR * FW)
        rx_flit = Signal(range(max(2, FPR)))
        rx_full = Signal()              # rx_row is complete and waits for the write port
        arrived = Signal(16)            # rows arrived and not yet claimed by a RECV
        in_header = fmt.header_of(eject.payload)
        m.d.comb += eject.ready.eq(~rx_full)
        with m.If(eject.valid & eject.ready):
            with m.Switch(rx_phase):
                with m.Case(0):
                    m.d.sync += [rx_left.eq(in_header.length), rx_flit.eq(0)]
                    with m.If(in_header.length != 0):
                        m.d.sync += rx_phase.eq(1)
                with m.Case(1):
                    m.d.sync += [rx_addr.eq(eject.payload), rx_left.eq(rx_left - 1)]
                    m.d.sync += rx_phase.eq(Mux(rx_left == 1, 0, 2))
                with m.Case(2):
                    for i in range(FPR):
                        with m.If(rx_flit == i):
                            m.d.sync += rx_row[i * FW:(i + 1) * FW].eq(eject.payload)
                    m.d.sync += [rx_flit.eq(Mux(rx_flit == FPR - 1, 0, rx_flit + 1)), rx_left.eq(rx_left - 1)]
                    with m.If(rx_flit == FPR - 1):
                        m.d.sync += rx_full.eq(1)
                    with m.If(rx_left == 1):
                        m.d.sync += rx_phase.eq(0)
        in_range = rx_addr < g.sp_rows     # sp_rows < 2**16 (Geometry.check)
        write = self.sp_write
        m.d.comb += [
            write.valid.eq(rx_full & in_range),
            write.payload.addr.eq(rx_addr),
            write.payload.data.eq(rx_row[:g.row_bits]),
        ]
        landed = write.valid & write.ready
        dropped = rx_full & ~in_range
        with m.If(landed | dropped):
            m.d.sync += [rx_full.eq(0), rx_addr.eq(rx_addr + 1)]
        with m.If(landed):
            m.d.sync += self.received_rows.eq(self.received_rows + 1)
        with m.If(dropped):
            m.d.sync += self.rx_dropped.eq(self.rx_dropped + 1)

        # ------------------------------------------------------------------ RECV and instruction flow
        claim = receiving & (arrived >= rows_left)
        m.d.sync += arrived.eq(arrived + landed - Mux(claim, rows_left, 0))
        start = self.ctl.instr.valid & self.ctl.instr.ready
        is_send = instr.op == Opcode.SEND
        m.d.comb += [
            reader.start.eq(start & is_send),
            reader.base.eq(instr.sp),
            reader.count.eq(instr.rows),
            self.ctl.instr.ready.eq(~sending & ~receiving),
            self.ctl.busy.eq(sending | receiving),
            self.ctl.done[0].eq(send_finished | claim),
            self.ctl.done_signal[0].eq(signal),
        ]
        with m.If(send_finished | claim):
            m.d.sync += [sending.eq(0), receiving.eq(0)]
        with m.If(start):
            m.d.sync += [signal.eq(instr.signal), rows_left.eq(instr.rows), dst.eq(instr.node),
                         remote.eq(instr.acc), phase.eq(0), have_row.eq(0), flit.eq(0)]
            with m.If(is_send):
                m.d.sync += sending.eq(1)
            with m.Else():
                m.d.sync += receiving.eq(1)
        return m
