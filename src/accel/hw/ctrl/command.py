"""The command processor: assembles instructions from the host's words, checks them, and issues them.

Flow: 32-bit words from the CSR command register -> 128-bit instructions -> command queue -> decode and
check (in program order) -> one queue per unit -> the scoreboard -> the unit.

The **scoreboard** holds one token counter per ordered pair of units (VTA-style dependency tokens). An
instruction's ``wait`` mask names units it needs a token from; it is offered to its unit only when all
those counters are non-zero, and takes the tokens as it starts. When it finishes, it gives one token to
each unit in its ``signal`` mask. The compiler puts the tokens where data dependencies are (a tile is
loaded before it is used, a buffer is free before it is overwritten), and everything else overlaps.

FENCE and END wait until every queue is empty and every unit idle; END then raises the done interrupt.
Errors (accel.arch.isa.Error) are found at decode, in program order; the processor then stops taking
instructions (units finish what they have) until reset, and reports the code and the instruction index.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO, SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from ...arch.geometry import Geometry
from ...arch.isa import INSTRUCTION_BITS, INSTRUCTION_WORDS, UNIT_OF, WORD_BITS, Error, Flag, Opcode, Unit, \
    instruction_layout
from .units import UnitSignature

UNITS = len(Unit)
TOKEN_WIDTH = 8


class CommandProcessor(wiring.Component):
    """Ports: ``words`` (host words in), ``fetched`` (instructions from HBM), one scoreboard port per unit
    (``load``, ``exec``, ``store``, ``net``: the flipped :class:`UnitSignature`, EXEC with two
    completions; :meth:`unit_port` gives it by :class:`Unit`), ``node_id``; status out:
    ``idle``, ``error``, ``error_code``, ``error_pc``, ``taken`` (instructions taken), ``ends`` (END
    completed), ``end_pulse``, ``waiting`` (per unit: an instruction waits for tokens)."""

    def __init__(self, geometry: Geometry):
        self.g = geometry
        members = {
            "words": In(stream.Signature(WORD_BITS)),                  # from the CSR command register
            "fetched": In(stream.Signature(INSTRUCTION_BITS)),         # from the fetch unit
            "queue_free": Out(range(geometry.command_queue_depth + 1)),
            "node_id": In(geometry.node_id_width),
        }
        members.update({
            "load": In(UnitSignature()), "exec": In(UnitSignature(completions=2)),
            "store": In(UnitSignature()), "net": In(UnitSignature()),
        })
        members.update({
            "idle": Out(1), "error": Out(1), "error_code": Out(4), "error_pc": Out(32),
            "taken": Out(32), "ends": Out(32), "end_pulse": Out(1), "waiting": Out(UNITS),
        })
        super().__init__(members)

    def unit_port(self, unit: Unit):
        """The scoreboard port of ``unit``."""
        return {Unit.LOAD: self.load, Unit.EXEC: self.exec, Unit.STORE: self.store, Unit.NET: self.net}[unit]

    def elaborate(self, platform):
        m = Module()
        g = self.g

        # ------------------------------------------------------------------ words -> instructions
        m.submodules.commands = commands = SyncFIFO(width=INSTRUCTION_BITS, depth=g.command_queue_depth)
        held = Signal(WORD_BITS * (INSTRUCTION_WORDS - 1))
        word_index = Signal(range(INSTRUCTION_WORDS))
        last_word = word_index == INSTRUCTION_WORDS - 1
        # Fetched instructions go first; a host word completing an instruction waits for them.
        m.d.comb += [
            self.fetched.ready.eq(commands.w_rdy),
            self.words.ready.eq(~last_word | (commands.w_rdy & ~self.fetched.valid)),
            commands.w_en.eq(self.fetched.valid | (self.words.valid & last_word)),
            commands.w_data.eq(Mux(self.fetched.valid, self.fetched.payload, Cat(held, self.words.payload))),
            self.queue_free.eq(g.command_queue_depth - commands.level),
        ]
        with m.If(self.words.valid & self.words.ready):
            m.d.sync += [held.eq(Cat(held[WORD_BITS:], self.words.payload)),
                         word_index.eq(Mux(last_word, 0, word_index + 1))]

        # ------------------------------------------------------------------ unit queues and scoreboard
        queues = []
        for unit in Unit:
            # A single chip has no NET unit: SEND/RECV fail decode, so its queue is empty (depth 0).
            depth = g.unit_queue_depth if unit != Unit.NET or g.network else 0
            # SyncFIFO cannot be 1 deep (zero-width pointers); the buffered FIFO then is one register.
            fifo = (SyncFIFOBuffered if depth == 1 else SyncFIFO)(width=INSTRUCTION_BITS, depth=depth)
            m.submodules[f"{unit.name.lower()}_queue"] = fifo
            queues.append(fifo)
        tokens = [[Signal(TOKEN_WIDTH, name=f"tokens_{s.name.lower()}_to_{d.name.lower()}") for d in Unit]
                  for s in Unit]
        completions = {unit: list(zip(self.unit_port(unit).done, self.unit_port(unit).done_signal)) for unit in Unit}
        starts = []
        for unit in Unit:
            port = self.unit_port(unit).instr
            head = instruction_layout()(queues[unit].r_data)
            ready_tokens = Cat(~head.wait[s] | (tokens[s][unit] != 0) for s in Unit).all()
            m.d.comb += [
                port.valid.eq(queues[unit].r_rdy & ready_tokens),
                port.payload.eq(queues[unit].r_data),
                queues[unit].r_en.eq(port.valid & port.ready),
                self.waiting[unit].eq(queues[unit].r_rdy & ~ready_tokens),
            ]
            starts.append((port.valid & port.ready, head.wait))
        for s in Unit:
            for d in Unit:
                if s == d:
                    continue
                given = sum((valid & mask[d]) for valid, mask in completions[s])
                taken = starts[d][0] & starts[d][1][s]
                m.d.sync += tokens[s][d].eq(tokens[s][d] + given - taken)
        tokens_left = Cat(tokens[s][d] != 0 for s in Unit for d in Unit if s != d).any()

        all_idle = Signal()
        m.d.comb += all_idle.eq(Cat(~q.r_rdy for q in queues).all()
                                & ~Cat(self.unit_port(u).busy for u in Unit).any())

        # ------------------------------------------------------------------ decode and check
        instr = instruction_layout()(commands.r_data)
        op = instr.op
        unit_of = Signal(2)
        is_unit_op = Signal()
        for opcode, unit in UNIT_OF.items():
            with m.If(op == opcode):
                m.d.comb += [unit_of.eq(unit), is_unit_op.eq(1)]
        is_control = (op == Opcode.NOP) | (op == Opcode.FENCE) | (op == Opcode.END)
        own = Const(1, 4) << unit_of
        tile_loaded = Signal()          # a WEIGHTS tile waits for its NEW_WEIGHTS MATMUL
        from_sp = (instr.flags & Flag.FROM_SP).any()
        uses_sp = (op == Opcode.LOAD) | (op == Opcode.MATMUL) | (op == Opcode.SEND) | \
                  ((op == Opcode.STORE) & from_sp)
        uses_acc = (op == Opcode.MATMUL) | ((op == Opcode.STORE) & ~from_sp)

        def ends_past(base, count, limit):
            return (base + count) > limit

        error = Signal(4)
        with m.If(~is_unit_op & ~is_control):
            m.d.comb += error.eq(Error.ILLEGAL_OPCODE)
        with m.Elif(Mux(is_control, (instr.wait | instr.signal) != 0, ((instr.wait | instr.signal) & own) != 0)):
            m.d.comb += error.eq(Error.BAD_DEPENDENCY)
        with m.Elif(uses_sp & ((instr.rows == 0) | ends_past(instr.sp, instr.rows, g.sp_rows))):
            m.d.comb += error.eq(Error.SP_RANGE)
        with m.Elif((op == Opcode.WEIGHTS) & ends_past(instr.sp, g.rows, g.sp_rows)):
            m.d.comb += error.eq(Error.SP_RANGE)
        with m.Elif((op == Opcode.SEND) & ends_past(instr.acc, instr.rows, g.sp_rows)):
            m.d.comb += error.eq(Error.SP_RANGE)
        with m.Elif(uses_acc & ((instr.rows == 0) | ends_past(instr.acc, instr.rows, g.acc_rows))):
            m.d.comb += error.eq(Error.ACC_RANGE)
        with m.Elif((op == Opcode.SEND) & ((instr.node >= g.nodes) | (instr.node == self.node_id))
                    | (op == Opcode.RECV) & (g.nodes == 1)):
            m.d.comb += error.eq(Error.BAD_NODE)
        with m.Elif((op == Opcode.WEIGHTS) & tile_loaded):
            m.d.comb += error.eq(Error.WEIGHTS_UNUSED)
        with m.Elif((op == Opcode.MATMUL) & (instr.flags & Flag.NEW_WEIGHTS).any() & ~tile_loaded):
            m.d.comb += error.eq(Error.NO_WEIGHTS)
        with m.Elif((op == Opcode.END) & all_idle & tokens_left):
            m.d.comb += error.eq(Error.TOKENS_LEFT)

        # ------------------------------------------------------------------ dispatch
        halted = Signal()
        present = commands.r_rdy & ~halted
        unit_room = Array(q.w_rdy for q in queues)[unit_of]
        go = Signal()
        with m.If(is_unit_op):
            m.d.comb += go.eq(unit_room)
        with m.Elif(op == Opcode.NOP):
            m.d.comb += go.eq(1)
        with m.Else():
            m.d.comb += go.eq(all_idle)
        dispatch = present & (error == 0) & go
        faulted = present & (error != 0)
        for unit, fifo in zip(Unit, queues):
            m.d.comb += [fifo.w_en.eq(dispatch & is_unit_op & (unit_of == unit)), fifo.w_data.eq(commands.r_data)]
        m.d.comb += [commands.r_en.eq(dispatch), self.end_pulse.eq(dispatch & (op == Opcode.END))]
        with m.If(dispatch):
            m.d.sync += self.taken.eq(self.taken + 1)
            with m.If(op == Opcode.WEIGHTS):
                m.d.sync += tile_loaded.eq(1)
            with m.If((op == Opcode.MATMUL) & (instr.flags & Flag.NEW_WEIGHTS).any()):
                m.d.sync += tile_loaded.eq(0)
            with m.If(op == Opcode.END):
                m.d.sync += self.ends.eq(self.ends + 1)
        with m.If(faulted):
            m.d.sync += [halted.eq(1), self.error_code.eq(error), self.error_pc.eq(self.taken)]
        m.d.comb += [
            self.error.eq(halted),
            self.idle.eq(all_idle & ~commands.r_rdy & (word_index == 0)),
        ]
        return m
