"""The accelerator SoC: host port, command processor, DMA, compute core, requantization and network.

Chip ports: ``clk``/``rst``; ``axil__*`` (AXI4-Lite CSR port, see :data:`REGISTERS`); ``irq``;
``pc<i>_dfi_*`` (one DFI-like HBM interface per pseudo-channel); ``east_tx``/``east_rx``/``west_tx``/
``west_rx`` (network links) and ``node_id`` (strap pins). docs/isa.md has the programmer's view.

Inside: the scratchpad (one write port shared by the LOAD unit and network arrivals, four read ports:
weights, activations, STORE and SEND), the compute core with its accumulator memory, one request port
per HBM pseudo-channel shared by the LOAD, STORE and fetch units, and performance counters. A single
chip (``network.nodes: 1``) has no network interface, NET unit or link ports.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..config import AccelConfig
from ..arch.geometry import Geometry
from ..arch.isa import Unit
from .core import ComputeCore
from .ctrl.axil import AxiLiteRegisters, Register, RegisterMap, axi_lite_signature
from .ctrl.command import CommandProcessor
from .ctrl.dma import LoadUnit, StoreUnit, channel_of
from .ctrl.execute import ExecUnit
from .ctrl.fetch import FetchUnit
from .ctrl.netunit import NetUnit
from .hbm.controller import HbmController, controller_members
from .net.link import LinkLane, count
from .net.node import NetworkNode
from .net.packet import NetFormat
from .ports import forward_named, forward_ports

CSR_ADDR_WIDTH = 8
IRQ_DONE, IRQ_ERROR = 1, 2
HBM_LOAD, HBM_STORE, HBM_FETCH = 0, 1, 2      # request IDs on the HBM ports
HBM_ID_WIDTH = 2

#: Performance counters (``soc.counter_width`` bits, count from reset and wrap), at 0x40 + 4 * index.
COUNTERS = {
    "cycles": "clock cycles",
    "load_busy": "cycles the LOAD unit works on an instruction",
    "exec_busy": "cycles the EXEC unit works (including results still in the array)",
    "store_busy": "cycles the STORE unit works",
    "net_busy": "cycles the NET unit works (a RECV waiting for rows counts)",
    "load_wait": "cycles a LOAD waits for dependency tokens",
    "exec_wait": "cycles a WEIGHTS/MATMUL waits for dependency tokens",
    "store_wait": "cycles a STORE waits for dependency tokens",
    "net_wait": "cycles a SEND/RECV waits for dependency tokens",
    "array_active": "cycles an activation vector enters the array",
    "array_stall": "cycles an activation vector waits for the array (weights not loaded yet)",
    "macs": "multiply-accumulates done (rows x cols per vector)",
    "hbm_reads": "bursts read from HBM",
    "hbm_writes": "bursts written to HBM",
    "net_sent_rows": "scratchpad rows sent",
    "net_received_rows": "scratchpad rows received",
    "net_dropped_rows": "received rows dropped (addressed past the scratchpad)",
}
COUNTER_BASE = 0x40

REGISTERS = [
    Register("status", 0x00, "ro", 8, "bit 0 idle, bit 1 error (halted), bits 4-7 error code"),
    Register("irq_status", 0x04, "w1c", 2, "bit 0 done (an END completed), bit 1 error; write 1 to clear"),
    Register("irq_enable", 0x08, "rw", 2, "interrupt enables, same bits as irq_status"),
    Register("command", 0x0C, "push", 32, "instruction words, least significant first, four per instruction"),
    Register("error_pc", 0x10, "ro", 32, "index of the instruction that raised the error"),
    Register("taken", 0x14, "ro", 32, "instructions taken from the command queue since reset"),
    Register("ends", 0x18, "ro", 32, "END instructions completed since reset"),
    Register("node_id", 0x1C, "ro", 8, "this chip's place on the ring"),
    Register("geometry", 0x20, "ro", 32, "array rows | cols << 8 | input_width << 16 | rows_per_burst << 24"),
    Register("memories", 0x24, "ro", 32, "scratchpad rows | accumulator rows << 16"),
    Register("program_addr", 0x28, "rw", 32, "HBM burst address of a program to fetch"),
    Register("program_count", 0x2C, "rw", 32, "instructions in that program"),
    Register("fetch", 0x30, "push", 1, "any write starts fetching the program (waits while a fetch runs)"),
] + [Register(name, COUNTER_BASE + 4 * i, "ro", 32, text) for i, (name, text) in enumerate(COUNTERS.items())]
REGISTER_OFFSETS = {r.name: r.offset for r in REGISTERS}


def round_robin(m: Module, requests, last, name: str):
    """One-hot grant among ``requests``: the first requester after ``last`` (the previous grant)."""
    n = len(requests)
    grant = Signal(n, name=name)
    for previous in range(n):
        with m.If(last == previous):
            order = [(previous + 1 + k) % n for k in range(n)]
            chosen = 0
            for index in reversed(order):
                chosen = Mux(requests[index], 1 << index, chosen)
            m.d.comb += grant.eq(chosen)
    return grant


def hbm_pin_members(config: AccelConfig) -> dict:
    """The HBM controller's DFI-side ports (everything but the request/response streams and counters):
    the chip's HBM pins, under the controller's own names (``pc0_dfi_cmd``, ...)."""
    return {name: member for name, member in controller_members(config.hbm, HBM_ID_WIDTH).items()
            if not (name.endswith("_req") or name.endswith("_resp") or "_stat_" in name)}


def chip_members(config: AccelConfig, with_node_id: bool = True) -> dict:
    fmt = NetFormat(config.network)
    members = {"axil": In(axi_lite_signature(CSR_ADDR_WIDTH)), "irq": Out(1)}
    members.update(hbm_pin_members(config))
    if config.network.nodes > 1:      # a single chip has no network interface
        for name in ("east", "west"):
            members[f"{name}_tx"] = Out(LinkLane(fmt))
            members[f"{name}_rx"] = In(LinkLane(fmt))
        if with_node_id:
            members["node_id"] = In(config.network.node_id_width)
    return members


class Accelerator(wiring.Component):
    """One chip: the SoC described in the module text, with the chip ports of :func:`chip_members`."""

    def __init__(self, config: AccelConfig):
        self.config = config
        self.geometry = Geometry.from_config(config)
        super().__init__(chip_members(config))

    def elaborate(self, platform):
        m = Module()
        config, g = self.config, self.geometry
        fmt = NetFormat(config.network)

        m.submodules.csr = csr = AxiLiteRegisters(RegisterMap(REGISTERS, CSR_ADDR_WIDTH))
        m.submodules.commands = cp = CommandProcessor(g)
        m.submodules.fetch = fetch = FetchUnit(g)
        m.submodules.load = load = LoadUnit(g)
        m.submodules.execute = ex = ExecUnit(g, config)
        m.submodules.store = store = StoreUnit(g)
        m.submodules.core = core = ComputeCore(config)
        m.submodules.hbm = hbm = HbmController(config.hbm, id_width=HBM_ID_WIDTH)
        m.submodules.scratchpad = sp = Memory(shape=g.row_bits, depth=g.sp_rows, init=[])

        # ---- host port
        wiring.connect(m, wiring.flipped(self.axil), csr.axil)
        wiring.connect(m, csr.command, cp.words)
        wiring.connect(m, csr.fetch, fetch.start)
        wiring.connect(m, fetch.out, cp.fetched)
        m.d.comb += [
            fetch.addr.eq(csr.program_addr), fetch.count.eq(csr.program_count), fetch.queue_free.eq(cp.queue_free),
            csr.status.eq((cp.idle & ~fetch.busy) | cp.error << 1 | cp.error_code << 4),
            csr.irq_status_set.eq(Mux(cp.end_pulse, IRQ_DONE, 0) | Mux(cp.error, IRQ_ERROR, 0)),
            self.irq.eq((csr.irq_status & csr.irq_enable).any()),
            csr.error_pc.eq(cp.error_pc), csr.taken.eq(cp.taken), csr.ends.eq(cp.ends),
            csr.geometry.eq(g.rows | g.cols << 8 | g.input_width << 16 | g.rows_per_burst << 24),
            csr.memories.eq(g.sp_rows | g.acc_rows << 16),
        ]
        if g.network:
            m.submodules.net_unit = nu = NetUnit(g, fmt)
            m.d.comb += [csr.node_id.eq(self.node_id), cp.node_id.eq(self.node_id)]

        # ---- command processor <-> units
        units = {Unit.LOAD: load, Unit.EXEC: ex, Unit.STORE: store}
        if g.network:
            units[Unit.NET] = nu
        for unit, block in units.items():
            wiring.connect(m, cp.unit_port(unit), block.ctl)

        # ---- scratchpad ports
        sp_write = sp.write_port()
        for reader in [ex.w_rd, ex.a_rd, store.sp_rd] + ([nu.sp_rd] if g.network else []):
            port = sp.read_port()
            m.d.comb += [port.en.eq(reader.en), port.addr.eq(reader.addr), reader.data.eq(port.data)]
        # Network arrivals first (they are rare, and a blocked link blocks other chips too).
        writers = ([nu.sp_write] if g.network else []) + [load.sp_write]
        m.d.comb += [sp_write.en.eq(Cat(w.valid for w in writers).any()), writers[0].ready.eq(1)]
        for earlier, writer in zip(writers, writers[1:]):
            m.d.comb += writer.ready.eq(~earlier.valid)
        for writer in reversed(writers):
            with m.If(writer.valid):
                m.d.comb += [sp_write.addr.eq(writer.payload.addr), sp_write.data.eq(writer.payload.data)]

        # ---- compute core
        wiring.connect(m, ex.weights, core.weights)
        wiring.connect(m, ex.act, core.act)
        m.d.comb += [
            ex.row_written.eq(core.row_written), ex.core_busy.eq(core.busy),
            core.rd_en.eq(store.acc_rd.en), core.rd_addr.eq(store.acc_rd.addr), store.acc_rd.data.eq(core.rd_data),
        ]

        # ---- HBM: per channel, the LOAD, STORE and fetch units share the request port (round robin);
        # responses come back in request order and the ID says whose they are.
        clients = [  # (id, valid, burst address, write, wdata)
            (HBM_LOAD, load.req.valid, load.req.payload, 0, 0),
            (HBM_STORE, store.req.valid, store.req.payload.addr, 1, store.req.payload.wdata),
            (HBM_FETCH, fetch.req.valid, fetch.req.payload, 0, 0),
        ]
        granted = {ident: [] for ident, *_ in clients}
        for c in range(g.channels):
            req, resp = hbm.requests[c], hbm.responses[c]
            wants = Cat(*(valid & (channel_of(g, addr) == c) for _, valid, addr, _, _ in clients))
            last = Signal(range(len(clients)), name=f"last_grant{c}")
            grant = round_robin(m, wants, last, f"grant{c}")
            m.d.comb += req.valid.eq(wants.any())
            for index, (ident, _, addr, write, wdata) in enumerate(clients):
                with m.If(grant[index]):
                    m.d.comb += [req.payload.write.eq(write), req.payload.id.eq(ident),
                                 req.payload.addr.eq(addr >> g.channel_bits), req.payload.wdata.eq(wdata)]
                granted[ident].append(grant[index] & req.ready)
                with m.If(req.valid & req.ready & grant[index]):
                    m.d.sync += last.eq(index)
            readers = {HBM_LOAD: load.resp[c], HBM_FETCH: fetch.resp[c]}
            for ident, reader in readers.items():
                m.d.comb += [reader.valid.eq(resp.valid & (resp.payload.id == ident)),
                             reader.payload.eq(resp.payload.rdata)]
            m.d.comb += [
                resp.ready.eq(Mux(resp.payload.id == HBM_STORE, 1, Mux(resp.payload.id == HBM_LOAD,
                                                                         readers[HBM_LOAD].ready,
                                                                         readers[HBM_FETCH].ready))),
                store.write_done[c].eq(resp.valid & (resp.payload.id == HBM_STORE)),
            ]
        m.d.comb += [load.req.ready.eq(Cat(*granted[HBM_LOAD]).any()),
                     store.req.ready.eq(Cat(*granted[HBM_STORE]).any()),
                     fetch.req.ready.eq(Cat(*granted[HBM_FETCH]).any())]
        forward_named(m, self, hbm, hbm_pin_members(config))

        # ---- network
        if g.network:
            self.connect_network(m, nu)

        # ---- performance counters
        self.count_events(m, csr, cp, load, ex, store, nu if g.network else None, core)
        return m

    def connect_network(self, m: Module, nu: NetUnit):
        """The network interface between the NET unit and the chip's east/west links."""
        m.submodules.network = node = NetworkNode(self.config.network)
        m.d.comb += [node.node_id.eq(self.node_id), nu.node_id.eq(self.node_id)]
        wiring.connect(m, nu.inject, node.inject)
        wiring.connect(m, node.eject, nu.eject)
        wiring.connect(m, node.east_tx, wiring.flipped(self.east_tx))
        wiring.connect(m, node.west_tx, wiring.flipped(self.west_tx))
        wiring.connect(m, wiring.flipped(self.east_rx), node.east_rx)
        wiring.connect(m, wiring.flipped(self.west_rx), node.west_rx)

    def count_events(self, m: Module, csr, cp, load, ex, store, nu, core):
        """Performance counters (``soc.counter_width`` bits, wrapping); the NET ones stay 0 on a single chip."""
        g = self.geometry
        counters = {name: Signal(g.counter_width, name=f"count_{name}") for name in COUNTERS}
        act_fire = core.act.valid & core.act.ready
        events = {
            "cycles": 1,
            "load_busy": load.ctl.busy, "exec_busy": ex.ctl.busy, "store_busy": store.ctl.busy,
            "load_wait": cp.waiting[Unit.LOAD], "exec_wait": cp.waiting[Unit.EXEC],
            "store_wait": cp.waiting[Unit.STORE], "net_wait": cp.waiting[Unit.NET],
            "array_active": act_fire, "array_stall": core.act.valid & ~core.act.ready,
            "hbm_reads": load.req.valid & load.req.ready, "hbm_writes": store.req.valid & store.req.ready,
        }
        for name, event in events.items():
            count(m, counters[name], event)
        with m.If(act_fire):
            m.d.sync += counters["macs"].eq(counters["macs"] + g.rows * g.cols)
        if nu is not None:
            count(m, counters["net_busy"], nu.ctl.busy)
            m.d.comb += [counters["net_sent_rows"].eq(nu.sent_rows),
                         counters["net_received_rows"].eq(nu.received_rows),
                         counters["net_dropped_rows"].eq(nu.rx_dropped)]
        for name, counter in counters.items():
            m.d.comb += getattr(csr, name).eq(counter)


class AcceleratorRing(wiring.Component):
    """``network.nodes`` chips with ids 0..N-1, chip i's east link wired to chip i+1's west link through
    one register stage per direction (a PHY that always takes a flit). Each chip's host port, interrupt and
    HBM interfaces are ports ``c<i>__axil__awaddr``, ``c<i>__pc0_dfi_cmd``, ... (simulation top)."""

    def __init__(self, config: AccelConfig):
        self.config = config
        members = {name: member for name, member in chip_members(config, with_node_id=False).items()
                   if not name.startswith(("east", "west"))}
        super().__init__({f"c{i}": Out(wiring.Signature(members)) for i in range(config.network.nodes)})

    def elaborate(self, platform):
        m = Module()
        n = self.config.network.nodes
        chips = []
        for i in range(n):
            chip = Accelerator(self.config)
            m.submodules[f"chip{i}"] = chip
            chips.append(chip)
            m.d.comb += chip.node_id.eq(i)
            forward_ports(m, getattr(self, f"c{i}"), chip)
        for i in range(n):
            a, b = chips[i], chips[(i + 1) % n]
            for tx, rx in ((a.east_tx, b.west_rx), (b.west_tx, a.east_rx)):
                m.d.comb += tx.ready.eq(1)
                m.d.sync += [rx.valid.eq(tx.valid), rx.sop.eq(tx.sop), rx.data.eq(tx.data),
                             rx.ctrl_valid.eq(tx.ctrl_valid), rx.ctrl.eq(tx.ctrl)]
        return m
