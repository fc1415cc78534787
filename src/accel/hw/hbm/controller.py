"""Per-pseudo-channel HBM controller: request queue, FR-FCFS scheduler, bank machines, refresh, DFI-like port.

One command per cycle, chosen in this order:

1. refresh due: only PREs (any open bank whose tRAS/tRTP/tWR allow it), then REF once every bank is
   closed and tRP has passed. "Due" starts early enough (a margin computed from the timing inputs) that
   REF is never later than tREFI after the previous one.
2. the oldest request has waited ``age_cap`` cycles: its commands first, and younger requests to its
   bank wait (no starvation); requests to other banks go on.
3. otherwise FR-FCFS: the oldest request whose row is open and whose column command is legal (a row
   hit); else the oldest request whose bank is closed and may be activated; else a PRE of a bank whose
   open row no queued request wants (open page: only if some request needs another row there; closed
   page: as soon as no queued request hits it).

Timing parameters are input ports (``t_rcd``, ...), like a real controller's timing registers: the top
level ties them to the config's values, and tests can shorten one to prove the device model catches it.
Each constraint is a down-counter loaded with ``T - 1`` when the command that starts it issues.
Responses leave in request order through a reorder buffer (so in order per ID).
"""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ...config import TIMING_KEYS, HbmConfig
from ...arch.address import AddressMap

CMD_NOP, CMD_ACT, CMD_RD, CMD_WR, CMD_PRE, CMD_REF = range(6)
CMD_NAMES = {CMD_NOP: "NOP", CMD_ACT: "ACT", CMD_RD: "RD", CMD_WR: "WR", CMD_PRE: "PRE", CMD_REF: "REF"}

#: Bits of each timing input port.
TIMING_WIDTH = {key: 8 for key in TIMING_KEYS} | {"tREFI": 16, "tRFC": 12, "tCL": 6, "tWL": 6}
COUNTERS = ("reads", "writes", "activates", "precharges", "row_hits", "row_conflicts", "refreshes",
            "busy_cycles", "bytes")
MAX_WL = 63


def port_name(key: str) -> str:
    return "t_" + key[1:].lower()


def request_layout(hbm: HbmConfig, id_width: int) -> data.StructLayout:
    burst_bits = hbm.data_width * hbm.resolved_burst_length()
    return data.StructLayout({
        "write": unsigned(1),
        "addr": unsigned(AddressMap.from_config(hbm).width),
        "id": unsigned(id_width),
        "wdata": unsigned(burst_bits),
    })


def response_layout(hbm: HbmConfig, id_width: int) -> data.StructLayout:
    burst_bits = hbm.data_width * hbm.resolved_burst_length()
    return data.StructLayout({"write": unsigned(1), "id": unsigned(id_width), "rdata": unsigned(burst_bits)})


def bank_index(amap: AddressMap, addr):
    """Bank number within the pseudo-channel: bank group in the high bits, bank in the low bits."""
    parts = [amap.slice(addr, name) for name, bits in (("bank", amap.bank_bits), ("bg", amap.bg_bits)) if bits]
    return Cat(*parts) if parts else Const(0, 1)


def channel_members(hbm: HbmConfig, id_width: int) -> dict:
    """The ports of one pseudo-channel controller (a function, so a chip can ask for its HBM pins
    without building a controller it would not use)."""
    amap = AddressMap.from_config(hbm)
    burst_bits = hbm.data_width * hbm.resolved_burst_length()
    members = {
        "req": In(stream.Signature(request_layout(hbm, id_width))),
        "resp": Out(stream.Signature(response_layout(hbm, id_width))),
        "dfi_cmd": Out(3),
        "dfi_bg": Out(max(1, amap.bg_bits)),
        "dfi_bank": Out(max(1, amap.bank_bits)),
        "dfi_row": Out(max(1, amap.row_bits)),
        "dfi_col": Out(max(1, amap.col_bits)),
        "dfi_wrdata_valid": Out(1),
        "dfi_wrdata": Out(burst_bits),
        "dfi_rddata_valid": In(1),
        "dfi_rddata": In(burst_bits),
    }
    for key in TIMING_KEYS:
        members[port_name(key)] = In(TIMING_WIDTH[key])
    for name in COUNTERS:
        members[f"stat_{name}"] = Out(32)
    return members


def controller_members(hbm: HbmConfig, id_width: int) -> dict:
    """The ports of :class:`HbmController`: each channel's, timing inputs left out, as ``pc<i>_<name>``."""
    channel = {name: member for name, member in channel_members(hbm, id_width).items() if not name.startswith("t_")}
    return {f"pc{index}_{name}": member for index in range(hbm.pseudo_channels) for name, member in channel.items()}


class PseudoChannelController(wiring.Component):
    """One pseudo-channel: a request queue scheduled FR-FCFS with an age cap over per-bank machines,
    refresh, a reorder buffer returning reads in request order, and a DFI-like command/data interface;
    timing from ``t_*`` inputs, counters on ``stat_*`` (docs/hbm.md)."""

    def __init__(self, hbm: HbmConfig, id_width: int = 4):
        self.hbm = hbm
        self.amap = AddressMap.from_config(hbm)
        self.nbanks = hbm.bank_groups * hbm.banks_per_group
        self.burst_bits = hbm.data_width * hbm.resolved_burst_length()
        self.tburst = hbm.resolved_burst_length() // 2
        self.depth = hbm.queue_depth
        self.rob_depth = 2 * hbm.queue_depth
        self.id_width = id_width
        super().__init__(channel_members(hbm, id_width))

    def elaborate(self, platform):
        m = Module()
        hbm, amap = self.hbm, self.amap
        Q, R, B = self.depth, self.rob_depth, self.nbanks
        G = hbm.bank_groups
        bank_bits = amap.bank_bits
        bidx_width = max(1, (B - 1).bit_length())
        slot_width = max(1, (R - 1).bit_length())
        t = {key: getattr(self, port_name(key)) for key in TIMING_KEYS}

        # ------------------------------------------------------------------ reorder buffer
        rob_done = Signal(R)
        rob_write = Signal(R)
        rob_id = Array(Signal(self.id_width, name=f"rob_id{i}") for i in range(R))
        head = Signal(slot_width)
        tail = Signal(slot_width)
        rob_count = Signal(range(R + 1))
        m.submodules.rob_data = rob_data = Memory(shape=self.burst_bits, depth=R, init=[])
        accept_write = rob_data.write_port()
        return_write = rob_data.write_port()
        head_read = rob_data.read_port(domain="comb")
        wdata_read = rob_data.read_port(domain="comb")

        # ------------------------------------------------------------------ request queue (index 0 = oldest)
        entry_layout = data.StructLayout({
            "valid": unsigned(1), "write": unsigned(1), "bidx": unsigned(bidx_width),
            "bg": unsigned(max(1, amap.bg_bits)), "row": unsigned(max(1, amap.row_bits)),
            "col": unsigned(max(1, amap.col_bits)), "slot": unsigned(slot_width),
            "activated": unsigned(1), "age": unsigned(16),
        })
        queue = [Signal(entry_layout, name=f"q{i}") for i in range(Q)]
        q_count = Signal(range(Q + 1))

        # ------------------------------------------------------------------ bank machines and timers
        is_open = Array(Signal(name=f"open{b}") for b in range(B))
        open_row = Array(Signal(max(1, amap.row_bits), name=f"open_row{b}") for b in range(B))
        t_act = Array(Signal(12, name=f"t_act{b}") for b in range(B))
        t_col = Array(Signal(8, name=f"t_col{b}") for b in range(B))
        t_pre = Array(Signal(10, name=f"t_pre{b}") for b in range(B))
        ccd = Array(Signal(8, name=f"ccd{g}") for g in range(G))
        rrd = Array(Signal(8, name=f"rrd{g}") for g in range(G))
        faw = [Signal(8, name=f"faw{i}") for i in range(4)]
        rd_wait = Signal(10)   # WR -> RD (tWL + burst + tWTR)
        wr_wait = Signal(10)   # RD -> WR (bus turnaround)
        refi = Signal(17)      # cycles since the last REF
        margin = Signal(17)
        m.d.comb += margin.eq(t["tRC"] + t["tWL"] + self.tburst + t["tWR"] + t["tRP"] + t["tRTP"] + B + 8)
        refresh_due = Signal()
        m.d.comb += refresh_due.eq(refi + margin >= t["tREFI"])

        # ------------------------------------------------------------------ per-entry view
        hit = Signal(Q)
        col_ok = Signal(Q)
        act_ok = Signal(Q)
        faw_free = Signal()
        m.d.comb += faw_free.eq(Cat(*(f == 0 for f in faw)).any())
        # Requests to the same address keep their order (read-after-write, write-after-write).
        older_same = Signal(Q)
        for i, e in enumerate(queue):
            same = [o.valid & (o.bidx == e.bidx) & (o.row == e.row) & (o.col == e.col) for o in queue[:i]]
            m.d.comb += older_same[i].eq(Cat(*same).any() if same else 0)
        for i, e in enumerate(queue):
            m.d.comb += [
                hit[i].eq(e.valid & is_open[e.bidx] & (open_row[e.bidx] == e.row)),
                col_ok[i].eq(hit[i] & ~older_same[i] & (t_col[e.bidx] == 0) & (ccd[e.bg] == 0)
                             & Mux(e.write, wr_wait == 0, rd_wait == 0)),
                act_ok[i].eq(e.valid & ~is_open[e.bidx] & (t_act[e.bidx] == 0) & (rrd[e.bg] == 0) & faw_free),
            ]
        wanted = Signal(B)      # some queued request hits the open row of bank b
        conflict = Signal(B)    # some queued request needs another row in open bank b
        for b in range(B):
            m.d.comb += [
                wanted[b].eq(Cat(*(e.valid & hit[i] & (e.bidx == b) for i, e in enumerate(queue))).any()),
                conflict[b].eq(Cat(*(e.valid & ~hit[i] & is_open[b] & (e.bidx == b)
                                     for i, e in enumerate(queue))).any()),
            ]
        starving = Signal()
        m.d.comb += starving.eq(queue[0].valid & (queue[0].age >= hbm.age_cap))
        if hbm.page_policy == "closed":
            close_ok = [is_open[b] & ~wanted[b] for b in range(B)]
        else:
            close_ok = [is_open[b] & conflict[b] & ~wanted[b] for b in range(B)]
        pre_ok = Signal(B)
        all_closed = Signal()
        all_rested = Signal()
        m.d.comb += [
            all_closed.eq(~Cat(*is_open).any()),
            all_rested.eq(Cat(*(t_act[b] == 0 for b in range(B))).all()),
        ]
        for b in range(B):
            head_bank = queue[0].bidx == b
            # A starving head may close its bank even while younger requests still hit the open row.
            m.d.comb += pre_ok[b].eq((t_pre[b] == 0) & is_open[b] & Mux(
                refresh_due, 1, Mux(starving & head_bank, ~hit[0], close_ok[b])))
        # While the head starves, younger requests to its bank wait (their hits would keep the row open
        # and push its PRE out); requests to other banks go on, so bank parallelism is not lost.
        allowed = Signal(Q)
        for i, e in enumerate(queue):
            m.d.comb += allowed[i].eq(1 if i == 0 else ~starving | (e.bidx != queue[0].bidx))
        head_pre = Signal()
        m.d.comb += head_pre.eq(pre_ok.bit_select(queue[0].bidx, 1))

        # ------------------------------------------------------------------ choose one command
        cmd = Signal(3)
        sel = Signal(range(Q))        # queue entry for ACT / RD / WR
        pre_bank = Signal(bidx_width)
        with m.If(refresh_due):
            with m.If(pre_ok.any()):
                m.d.comb += cmd.eq(CMD_PRE)
                for b in reversed(range(B)):
                    with m.If(pre_ok[b]):
                        m.d.comb += pre_bank.eq(b)
            with m.Elif(all_closed & all_rested):
                m.d.comb += cmd.eq(CMD_REF)
        with m.Elif(starving & col_ok[0]):
            m.d.comb += [cmd.eq(Mux(queue[0].write, CMD_WR, CMD_RD)), sel.eq(0)]
        with m.Elif(starving & act_ok[0]):
            m.d.comb += [cmd.eq(CMD_ACT), sel.eq(0)]
        with m.Elif(starving & ~hit[0] & head_pre):
            m.d.comb += [cmd.eq(CMD_PRE), pre_bank.eq(queue[0].bidx)]
        with m.Elif((col_ok & allowed).any()):
            for i in reversed(range(Q)):
                with m.If(col_ok[i] & allowed[i]):
                    m.d.comb += [cmd.eq(Mux(queue[i].write, CMD_WR, CMD_RD)), sel.eq(i)]
        with m.Elif((act_ok & allowed).any()):
            for i in reversed(range(Q)):
                with m.If(act_ok[i] & allowed[i]):
                    m.d.comb += [cmd.eq(CMD_ACT), sel.eq(i)]
        with m.Elif(pre_ok.any()):
            m.d.comb += cmd.eq(CMD_PRE)
            for b in reversed(range(B)):
                with m.If(pre_ok[b]):
                    m.d.comb += pre_bank.eq(b)

        chosen = data.View(entry_layout, Array(e.as_value() for e in queue)[sel])
        is_col = (cmd == CMD_RD) | (cmd == CMD_WR)
        cmd_bidx = Mux(cmd == CMD_PRE, pre_bank, chosen.bidx)
        cmd_bg = Mux(cmd == CMD_PRE, pre_bank >> bank_bits, chosen.bg)

        # ------------------------------------------------------------------ DFI outputs (registered)
        m.d.sync += [
            self.dfi_cmd.eq(cmd),
            self.dfi_bg.eq(cmd_bg),
            self.dfi_bank.eq(cmd_bidx[:bank_bits] if bank_bits else 0),
            self.dfi_row.eq(chosen.row),
            self.dfi_col.eq(chosen.col),
        ]

        # ------------------------------------------------------------------ timer updates
        def load(counter, value):
            """Next value: count down, or (re)load with ``value`` if that is later."""
            nxt = Mux(counter != 0, counter - 1, 0)
            return counter.eq(Mux(value > nxt, value, nxt))

        def tick(counter):
            return counter.eq(Mux(counter != 0, counter - 1, 0))

        for b in range(B):
            here = cmd_bidx == b
            act_here = (cmd == CMD_ACT) & here
            m.d.sync += [
                t_col[b].eq(Mux(act_here, t["tRCD"] - 1, Mux(t_col[b] != 0, t_col[b] - 1, 0))),
            ]
            with m.If(act_here):
                m.d.sync += [load(t_pre[b], t["tRAS"] - 1), load(t_act[b], t["tRC"] - 1),
                             is_open[b].eq(1), open_row[b].eq(chosen.row)]
            with m.Elif((cmd == CMD_RD) & here):
                m.d.sync += [load(t_pre[b], t["tRTP"] - 1), tick(t_act[b])]
            with m.Elif((cmd == CMD_WR) & here):
                m.d.sync += [load(t_pre[b], t["tWL"] + self.tburst + t["tWR"] - 1), tick(t_act[b])]
            with m.Elif((cmd == CMD_PRE) & here):
                m.d.sync += [load(t_act[b], t["tRP"] - 1), tick(t_pre[b]), is_open[b].eq(0)]
            with m.Elif(cmd == CMD_REF):
                m.d.sync += [load(t_act[b], t["tRFC"] - 1), tick(t_pre[b])]
            with m.Else():
                m.d.sync += [tick(t_pre[b]), tick(t_act[b])]
        for g in range(G):
            same = cmd_bg == g
            with m.If(is_col):
                m.d.sync += load(ccd[g], Mux(same, t["tCCD_L"], t["tCCD_S"]) - 1)
            with m.Else():
                m.d.sync += tick(ccd[g])
            with m.If(cmd == CMD_ACT):
                m.d.sync += load(rrd[g], Mux(same, t["tRRD_L"], t["tRRD_S"]) - 1)
            with m.Else():
                m.d.sync += tick(rrd[g])
        # tFAW: four slots; an ACT takes the first free one for tFAW cycles.
        taken = Const(0, 1)
        for f in faw:
            take = (cmd == CMD_ACT) & (f == 0) & ~taken
            m.d.sync += f.eq(Mux(take, t["tFAW"] - 1, Mux(f != 0, f - 1, 0)))
            taken = taken | take
        turnaround = Signal(10)
        m.d.comb += turnaround.eq(Mux(t["tCL"] + self.tburst + 1 > t["tWL"] + 1,
                                      t["tCL"] + self.tburst + 1 - t["tWL"] - 1, 0))
        with m.If(cmd == CMD_WR):
            m.d.sync += [load(rd_wait, t["tWL"] + self.tburst + t["tWTR"] - 1), tick(wr_wait)]
        with m.Elif(cmd == CMD_RD):
            m.d.sync += [load(wr_wait, turnaround), tick(rd_wait)]
        with m.Else():
            m.d.sync += [tick(rd_wait), tick(wr_wait)]
        with m.If(cmd == CMD_REF):
            m.d.sync += refi.eq(0)
        with m.Elif(refi != (1 << 17) - 1):
            m.d.sync += refi.eq(refi + 1)

        # ------------------------------------------------------------------ write data: tWL after WR
        # wr_pipe[k] holds the ROB slot of a WR decided k+1 cycles ago.
        wr_pipe_valid = Signal(MAX_WL)
        wr_pipe_slot = [Signal(slot_width, name=f"wr_pipe{k}") for k in range(MAX_WL)]
        m.d.sync += [wr_pipe_valid.eq(Cat(cmd == CMD_WR, wr_pipe_valid[:-1])), wr_pipe_slot[0].eq(chosen.slot)]
        for k in range(1, MAX_WL):
            m.d.sync += wr_pipe_slot[k].eq(wr_pipe_slot[k - 1])
        tap = (t["tWL"] - 1).as_unsigned()
        tap_valid = wr_pipe_valid.bit_select(tap, 1)
        tap_slot = Array(wr_pipe_slot)[tap]
        m.d.comb += wdata_read.addr.eq(tap_slot)
        m.d.sync += [self.dfi_wrdata_valid.eq(tap_valid), self.dfi_wrdata.eq(wdata_read.data)]

        # ------------------------------------------------------------------ read data return (in RD order)
        m.submodules.read_tags = tags = SyncFIFO(width=slot_width, depth=R)
        m.d.comb += [
            tags.w_en.eq(cmd == CMD_RD),
            tags.w_data.eq(chosen.slot),
            tags.r_en.eq(self.dfi_rddata_valid),
            return_write.en.eq(self.dfi_rddata_valid),
            return_write.addr.eq(tags.r_data),
            return_write.data.eq(self.dfi_rddata),
        ]
        done_set = Signal(R)
        for s in range(R):
            m.d.comb += done_set[s].eq((self.dfi_rddata_valid & (tags.r_data == s)) | (tap_valid & (tap_slot == s)))

        # ------------------------------------------------------------------ accept and respond
        accept = Signal()
        req = self.req.payload
        m.d.comb += [
            self.req.ready.eq((q_count < Q) & (rob_count < R)),
            accept.eq(self.req.valid & self.req.ready),
            accept_write.en.eq(accept & req.write),
            accept_write.addr.eq(tail),
            accept_write.data.eq(req.wdata),
        ]
        responding = Signal()
        m.d.comb += [
            head_read.addr.eq(head),
            self.resp.valid.eq((rob_count != 0) & rob_done.bit_select(head, 1)),
            self.resp.payload.write.eq(rob_write.bit_select(head, 1)),
            self.resp.payload.id.eq(rob_id[head]),
            self.resp.payload.rdata.eq(head_read.data),
            responding.eq(self.resp.valid & self.resp.ready),
        ]
        cleared = Signal(R)
        m.d.comb += cleared.eq(Mux(responding, 1 << head, 0))
        alloc = Signal(R)
        m.d.comb += alloc.eq(Mux(accept, 1 << tail, 0))
        m.d.sync += [
            rob_done.eq((rob_done | done_set) & ~cleared & ~alloc),
            rob_write.eq(Mux(accept, (rob_write & ~alloc) | Mux(req.write, alloc, 0), rob_write)),
            rob_count.eq(rob_count + accept - responding),
        ]
        with m.If(accept):
            m.d.sync += [rob_id[tail].eq(req.id), tail.eq(Mux(tail == R - 1, 0, tail + 1))]
        with m.If(responding):
            m.d.sync += head.eq(Mux(head == R - 1, 0, head + 1))

        # Queue: drop the entry served by a column command, age the rest, append the new request.
        removed = is_col
        new = Signal(entry_layout)
        m.d.comb += [
            new.valid.eq(1), new.write.eq(req.write),
            new.bidx.eq(bank_index(amap, req.addr)),
            new.bg.eq(amap.slice(req.addr, "bg")),
            new.row.eq(amap.slice(req.addr, "row")),
            new.col.eq(amap.slice(req.addr, "col")),
            new.slot.eq(tail),
        ]
        count_after = Signal(range(Q + 1))
        m.d.comb += count_after.eq(q_count - removed)
        for i in range(Q):
            shifted = queue[i + 1] if i + 1 < Q else Signal(entry_layout, name=f"q_empty{i}")
            shift = removed & (sel <= i) if i < Q - 1 else removed
            source = Mux(shift, shifted.as_value(), queue[i].as_value())
            moved = Signal(entry_layout, name=f"q_moved{i}")
            m.d.comb += moved.eq(source)
            aged = Signal(entry_layout, name=f"q_aged{i}")
            m.d.comb += aged.eq(moved)
            m.d.comb += aged.age.eq(Mux(moved.age == 0xFFFF, moved.age, moved.age + moved.valid))
            # The entry that got an ACT remembers it (its column command is then not a row hit).
            was_selected = (cmd == CMD_ACT) & (sel == i)
            m.d.comb += aged.activated.eq(moved.activated | (was_selected & ~removed))
            with m.If(accept & (count_after == i)):
                m.d.sync += queue[i].eq(new)
            with m.Else():
                m.d.sync += queue[i].eq(aged)
        m.d.sync += q_count.eq(count_after + accept)

        # ------------------------------------------------------------------ performance counters
        stats = {name: getattr(self, f"stat_{name}") for name in COUNTERS}
        conflict_pre = (cmd == CMD_PRE) & ~refresh_due & conflict.bit_select(pre_bank, 1)
        increments = {
            "reads": cmd == CMD_RD,
            "writes": cmd == CMD_WR,
            "activates": cmd == CMD_ACT,
            "precharges": cmd == CMD_PRE,
            "row_hits": is_col & ~chosen.activated,
            "row_conflicts": conflict_pre,
            "refreshes": cmd == CMD_REF,
            "busy_cycles": (q_count != 0) | (rob_count != 0),
        }
        for name, inc in increments.items():
            m.d.sync += stats[name].eq(stats[name] + inc)
        m.d.sync += stats["bytes"].eq(stats["bytes"] + Mux(is_col, self.burst_bits // 8, 0))
        return m


class HbmController(wiring.Component):
    """All pseudo-channels of one stack: independent controllers, each with its own request port and
    DFI-like interface (``pc0__req__valid``, ``pc1__dfi_cmd``, ...), timing tied to the config."""

    def __init__(self, hbm: HbmConfig, id_width: int = 4):
        self.hbm = hbm
        self.id_width = id_width
        super().__init__(controller_members(hbm, id_width))
        ports = {name: getattr(self, name) for name in self.signature.members}
        #: Each channel's request and response stream, by channel (the ports ``pc<i>_req``/``pc<i>_resp``).
        self.requests = [ports[f"pc{index}_req"] for index in range(hbm.pseudo_channels)]
        self.responses = [ports[f"pc{index}_resp"] for index in range(hbm.pseudo_channels)]

    def elaborate(self, platform):
        m = Module()
        timing = self.hbm.resolved_timing()
        for index in range(self.hbm.pseudo_channels):
            m.submodules[f"pc{index}"] = channel = PseudoChannelController(self.hbm, self.id_width)
            for key in TIMING_KEYS:
                m.d.comb += getattr(channel, port_name(key)).eq(timing[key])
            for name, member in channel.signature.members.items():
                if name.startswith("t_"):
                    continue
                outer = getattr(self, f"pc{index}_{name}")
                inner = getattr(channel, name)
                if member.is_signature:
                    wiring.connect(m, wiring.flipped(outer), inner) if member.flow == In else \
                        wiring.connect(m, inner, wiring.flipped(outer))
                elif member.flow == In:
                    m.d.comb += inner.eq(outer)
                else:
                    m.d.comb += outer.eq(inner)
        return m
