"""GEMM and convolution compiler: tiles a workload for the SoC and emits its instruction stream.

The plan (weight-stationary, see docs/isa.md for the picture): the output is cut into row blocks of
``mb`` rows (``j``) and column tiles of ``cols`` columns (``nt``); the reduction into tiles of ``rows``
(``kt``). Tiles run in the order j -> nt -> kt, and each is one WEIGHTS + one MATMUL:

* scratchpad: ``B`` weight buffers (``rows`` rows each, :func:`weight_buffers`) and two activation
  buffers (one row block, all ``kt`` chunks: ``Kt * mb`` rows each), so block j+1's activations load
  while block j computes and the next tiles' weights load while the current one streams. ``B`` tiles of
  lead hide HBM latency, refreshes included;
* accumulator: two buffers of ``mb`` rows, so block (j, nt) is stored while the next one accumulates.

When a row block's whole reduction does not fit the scratchpad (a small SoC, a large K), the plan
*streams*: each of the ``B`` buffers holds one tile's weights and its activation chunk (``rows + mb``
rows), loaded together, so any K runs in ``B * (rows + mb)`` rows at the price of reading the activations
once per column tile instead of once.

Dependencies are VTA-style tokens (accel.arch.isa): W load -> WEIGHTS; MATMUL t -> the LOAD group of tile
t+B (its weight buffer is free, and once the next block starts, the old activation buffer); last MATMUL
of an output block -> its STORE; STORE -> the first MATMUL two blocks later (its accumulator buffer is
free). Sizes that are not multiples of the array are padded with zeros in the HBM image and cropped.

Tensors live in HBM as packed scratchpad rows (accel.arch.geometry): activation segments (j, kt) of ``mb``
rows, weight segments (kt, nt) of ``rows`` rows bottom row first, output segments (j, nt) of ``mb`` rows
of ``cols`` int8 results.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..arch.geometry import Geometry
from ..arch.isa import UNIT_OF, Flag, Instruction, Opcode, Unit, units_mask


#: Weight tiles that may be loaded ahead of the array (each takes ``rows`` scratchpad rows): at least
#: MIN_WEIGHT_BUFFERS, and up to MAX_WEIGHT_BUFFERS while they fit in 1/WEIGHT_SHARE of the scratchpad.
#: An HBM refresh stalls loads for tRFC (350 cycles on hbm2): 16 tiles of lead cover it.
MIN_WEIGHT_BUFFERS = 4
MAX_WEIGHT_BUFFERS = 16
WEIGHT_SHARE = 8
#: A streamed plan needs two buffers (one loads while the other computes).
MIN_STREAM_BUFFERS = 2


class CompileError(ValueError):
    """The workload does not fit the machine (the message says which memory)."""


@dataclass(frozen=True)
class Requant:
    """Output requantization: ``saturate(relu?(round(acc * scale / 2**shift)))``."""
    scale: int = 1
    shift: int = 0
    relu: bool = False


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# ---------------------------------------------------------------------------------------------- packing
def pack_rows(geometry: Geometry, rows: np.ndarray, width: int) -> list[int]:
    """Rows of signed ``width``-bit elements (one row per scratchpad row) -> burst words."""
    g = geometry
    mask = (1 << width) - 1
    bursts = [0] * g.bursts(len(rows))
    for i, row in enumerate(rows):
        word = 0
        for e, value in enumerate(row):
            word |= (int(value) & mask) << (e * width)
        bursts[i // g.rows_per_burst] |= word << ((i % g.rows_per_burst) * g.row_bits)
    return bursts


def unpack_rows(geometry: Geometry, bursts: list[int], count: int, elements: int, width: int) -> np.ndarray:
    """The inverse of :func:`pack_rows`: ``count`` rows of ``elements`` signed ``width``-bit values."""
    g = geometry
    out = np.zeros((count, elements), dtype=np.int64)
    for i in range(count):
        word = bursts[i // g.rows_per_burst] >> ((i % g.rows_per_burst) * g.row_bits)
        for e in range(elements):
            value = (word >> (e * width)) & ((1 << width) - 1)
            out[i, e] = value - (1 << width) if value >> (width - 1) else value
    return out


# ---------------------------------------------------------------------------------------------- the plan
@dataclass
class GemmPlan:
    """Where everything lives for one ``(M x K) @ (K x N)`` and the program that computes it."""
    geometry: Geometry
    M: int
    K: int
    N: int
    requant: Requant
    mb: int
    weight_buffers: int
    hbm_base: int = 0
    sp_reserved: int = 0                      # scratchpad rows kept free at the top (network mailbox)
    streamed: bool = False                    # activation chunks load with each tile's weights
    program: list[Instruction] = field(default_factory=list)

    @property
    def Mb(self) -> int:
        return ceil_div(self.M, self.mb)

    @property
    def Kt(self) -> int:
        return ceil_div(self.K, self.geometry.rows)

    @property
    def Nt(self) -> int:
        return ceil_div(self.N, self.geometry.cols)

    def block_rows(self, j: int) -> int:
        return min(self.mb, self.M - j * self.mb)

    @property
    def sp_rows_used(self) -> int:
        R, B = self.geometry.rows, self.weight_buffers
        return B * (R + self.mb) if self.streamed else B * R + 2 * self.Kt * self.mb

    # HBM segments (burst addresses): activations, then weights, then outputs.
    @property
    def a_bursts(self) -> int:
        return self.geometry.bursts(self.mb)

    @property
    def w_bursts(self) -> int:
        return self.geometry.bursts(self.geometry.rows)

    def a_segment(self, j: int, kt: int) -> int:
        return self.hbm_base + (j * self.Kt + kt) * self.a_bursts

    def w_segment(self, kt: int, nt: int) -> int:
        return self.hbm_base + self.Mb * self.Kt * self.a_bursts + (nt * self.Kt + kt) * self.w_bursts

    def out_segment(self, j: int, nt: int) -> int:
        return self.w_segment(0, self.Nt) + (j * self.Nt + nt) * self.a_bursts

    @property
    def hbm_end(self) -> int:
        return self.out_segment(self.Mb, 0)

    # ------------------------------------------------------------------ host side
    def hbm_image(self, a: np.ndarray, w: np.ndarray) -> dict[int, int]:
        """Burst address -> burst word for the inputs (zero padding included)."""
        g = self.geometry
        R, C, width = g.rows, g.cols, g.input_width
        a_pad = np.zeros((self.Mb * self.mb, self.Kt * R), dtype=np.int64)
        a_pad[:self.M, :self.K] = a
        w_pad = np.zeros((self.Kt * R, self.Nt * C), dtype=np.int64)
        w_pad[:self.K, :self.N] = w
        image = {}
        for j in range(self.Mb):
            for kt in range(self.Kt):
                rows = a_pad[j * self.mb:j * self.mb + self.block_rows(j), kt * R:(kt + 1) * R]
                for i, word in enumerate(pack_rows(g, rows, width)):
                    image[self.a_segment(j, kt) + i] = word
        for kt in range(self.Kt):
            for nt in range(self.Nt):
                tile = w_pad[kt * R:(kt + 1) * R, nt * C:(nt + 1) * C][::-1]     # bottom row first
                for i, word in enumerate(pack_rows(g, tile, width)):
                    image[self.w_segment(kt, nt) + i] = word
        return image

    def output_addresses(self) -> list[int]:
        return [self.out_segment(j, nt) + i for j in range(self.Mb) for nt in range(self.Nt)
                for i in range(self.geometry.bursts(self.block_rows(j)))]

    def read_output(self, read_burst) -> np.ndarray:
        """The M x N int8 result from HBM (``read_burst(address) -> int``)."""
        g = self.geometry
        out = np.zeros((self.M, self.Nt * g.cols), dtype=np.int64)
        for j in range(self.Mb):
            rows = self.block_rows(j)
            for nt in range(self.Nt):
                base = self.out_segment(j, nt)
                bursts = [read_burst(base + i) for i in range(g.bursts(rows))]
                out[j * self.mb:j * self.mb + rows, nt * g.cols:(nt + 1) * g.cols] = \
                    unpack_rows(g, bursts, rows, g.cols, g.input_width)
        return out[:, :self.N]


def weight_buffers(geometry: Geometry, block_tiles: int, sp_reserved: int = 0) -> int:
    """How many weight tiles to load ahead. At most a block's tiles + 1: the activation chunks of block j
    load after block j-2's last MATMUL (LOAD group ``first[j-1] - 1 + B``) and before block j's first
    tile (group ``first[j]``), a window that is empty for a larger ``B``."""
    fit = (geometry.sp_rows - sp_reserved) // WEIGHT_SHARE // geometry.rows
    return min(max(MIN_WEIGHT_BUFFERS, min(MAX_WEIGHT_BUFFERS, fit)), block_tiles + 1)


def plan_gemm(geometry: Geometry, M: int, K: int, N: int, requant: Requant = Requant(), hbm_base: int = 0,
              sp_reserved: int = 0, max_block: int | None = None) -> GemmPlan:
    """Choose the layout and the row block ``mb`` (as large as the memories allow) and emit the program.

    Resident activations when a row block's whole reduction fits beside the weight buffers (and the row
    block is not shorter than the array), else streamed (see the module docstring): any K runs, only the
    HBM image has to fit."""
    g = geometry
    if min(M, K, N) < 1:
        raise CompileError(f"GEMM dimensions must be positive, not {M}x{K}x{N}")
    if not (0 <= requant.scale < 1 << 16 and 0 <= requant.shift < 64):
        raise CompileError("requantization scale must fit 16 bits unsigned and shift 0..63")
    Kt, Nt = ceil_div(K, g.rows), ceil_div(N, g.cols)
    sp_rows = g.sp_rows - sp_reserved
    limit = min(M, g.acc_rows // 2, max_block or M)
    B = weight_buffers(g, Kt * Nt, sp_reserved)
    mb = min(limit, max(sp_rows - B * g.rows, 0) // (2 * Kt))
    # Streamed: as many buffers as fit with the full row block (their lead hides HBM latency); a shorter
    # row block only when not even two fit.
    stream_B = min(MAX_WEIGHT_BUFFERS, max(MIN_STREAM_BUFFERS, Kt * Nt * ceil_div(M, limit)),
                   sp_rows // (g.rows + limit))
    stream_mb = limit
    if stream_B < MIN_STREAM_BUFFERS:
        stream_B, stream_mb = MIN_STREAM_BUFFERS, min(limit, sp_rows // MIN_STREAM_BUFFERS - g.rows)
    # Stream when no resident row block fits, or when it is shorter than the array (each tile would take
    # longer to switch weights than to stream its rows) and streaming allows a longer one.
    streamed = mb < min(limit, g.rows) and stream_mb > mb
    if streamed:
        B, mb = stream_B, stream_mb
    if mb < 1:
        raise CompileError(f"the scratchpad has {sp_rows} rows (memory.scratchpad_rows); streaming a GEMM needs "
                           f"{MIN_STREAM_BUFFERS * (g.rows + 1)}: two buffers of one {g.rows}-row weight tile "
                           f"and one activation row")
    # Same number of blocks, evened out: 128 rows in blocks of at most 31 become 5 x 26, not 4 x 31 + 4.
    # Every tile costs a weight switch, so a short last block would pay it for few rows.
    mb = ceil_div(M, ceil_div(M, mb))
    plan = GemmPlan(g, M, K, N, requant, mb, B, hbm_base, sp_reserved, streamed)
    if plan.hbm_end > g.hbm_bursts:
        raise CompileError(f"GEMM {M}x{K}x{N} needs {plan.hbm_end - hbm_base} HBM bursts from burst {hbm_base}, "
                           f"HBM holds {g.hbm_bursts} (hbm.rows, hbm.columns, banks and channels)")
    plan.program = emit_gemm(plan)
    return plan


def check_driver_layout(plan: GemmPlan) -> None:
    """The driver's HBM layout: tensors below ``program_base``, the program from it (CompileError if not)."""
    g = plan.geometry
    if plan.hbm_end > g.program_base:
        raise CompileError(f"the GEMM's tensors need {plan.hbm_end} HBM bursts; programs start at burst "
                           f"{g.program_base}, half of HBM (raise hbm.rows or hbm.columns)")
    bursts = ceil_div(len(plan.program), g.instructions_per_burst)
    if g.program_base + bursts > g.hbm_bursts:
        raise CompileError(f"its program of {len(plan.program)} instructions needs {bursts} HBM bursts; the upper "
                           f"half of HBM holds {g.hbm_bursts - g.program_base} (raise hbm.rows or hbm.columns)")


def emit_gemm(plan: GemmPlan, end: bool = True) -> list[Instruction]:
    g = plan.geometry
    R = g.rows
    Mb, Kt, Nt, mb = plan.Mb, plan.Kt, plan.Nt, plan.mb
    tiles = [(j, nt, kt) for j in range(Mb) for nt in range(Nt) for kt in range(Kt)]
    T, O = len(tiles), Mb * Nt
    # B weight buffers: tile t's weights (and, streamed, its activation chunk) load once MATMUL t-B is done.
    B = plan.weight_buffers
    if plan.streamed:
        wbuf = [b * (R + mb) for b in range(B)]
    else:
        wbuf = [b * R for b in range(B)]
        abuf = [B * R, B * R + Kt * mb]
    accbuf = [0, mb]
    first = [j * Nt * Kt for j in range(Mb)]

    def a_sp(t: int, j: int, kt: int) -> int:
        """Where chunk (j, kt) goes: beside tile t's weights when streamed, else in block j's buffer."""
        return wbuf[t % B] + R if plan.streamed else abuf[j % 2] + kt * mb

    # Streamed, each tile's LOAD group brings its own chunk. Resident, the activation chunks of block j
    # reuse block j-2's buffer, so they go into LOAD groups that wait for block j-2's last MATMUL (group t
    # waits for MATMUL t-B) and come before block j's first tile, spread evenly so weights keep flowing.
    # Block 0's chunk kt comes with tile kt, its first user, so the first tile does not wait for the whole
    # block.
    groups: dict[int, list[tuple[int, int]]] = {t: [] for t in range(T)}
    if plan.streamed:
        for t, (j, _, kt) in enumerate(tiles):
            groups[t].append((j, kt))
    else:
        for kt in range(Kt):
            groups[kt].append((0, kt))
        for j in range(1, Mb):
            lo = 1 if j == 1 else first[j - 1] - 1 + B
            lo = min(lo, first[j])
            span = first[j] - lo + 1
            for kt in range(Kt):
                groups[lo + (kt * span) // Kt].append((j, kt))

    load, execute, store = [], [], []
    for t, (j, nt, kt) in enumerate(tiles):
        group = []
        for aj, akt in groups[t]:
            group.append(Instruction(Opcode.LOAD, hbm=plan.a_segment(aj, akt), sp=a_sp(t, aj, akt),
                                     rows=plan.block_rows(aj), comment=f"A block {aj} chunk {akt}"))
        group.append(Instruction(Opcode.LOAD, hbm=plan.w_segment(kt, nt), sp=wbuf[t % B], rows=R,
                                 signal=units_mask([Unit.EXEC]), comment=f"W tile k{kt} n{nt}"))
        if t >= B:
            group[0] = replace(group[0], wait=units_mask([Unit.EXEC]))
        load.extend(group)

        o = j * Nt + nt
        execute.append(Instruction(Opcode.WEIGHTS, sp=wbuf[t % B], wait=units_mask([Unit.LOAD])))
        signal = []
        if t + B < T:
            signal.append(Unit.LOAD)
        if kt == Kt - 1:
            signal.append(Unit.STORE)
        flags = Flag.NEW_WEIGHTS | (Flag.ACCUMULATE if kt else 0)
        wait = units_mask([Unit.STORE]) if kt == 0 and o >= 2 else 0
        execute.append(Instruction(Opcode.MATMUL, sp=a_sp(t, j, kt), acc=accbuf[o % 2],
                                   rows=plan.block_rows(j), flags=int(flags), wait=wait,
                                   signal=units_mask(signal), comment=f"block {j} n{nt} k{kt}"))
        if kt == Kt - 1:
            rq = plan.requant
            store.append(Instruction(Opcode.STORE, acc=accbuf[o % 2], hbm=plan.out_segment(j, nt),
                                     rows=plan.block_rows(j), scale=rq.scale, shift=rq.shift,
                                     flags=int(Flag.RELU) if rq.relu else 0, wait=units_mask([Unit.EXEC]),
                                     signal=units_mask([Unit.EXEC]) if o <= O - 3 else 0,
                                     comment=f"C block {j} n{nt}"))
    program = interleave([load, execute, store])
    if end:
        program.append(Instruction(Opcode.END))
    return program


def interleave(streams: list[list[Instruction]]) -> list[Instruction]:
    """Merge per-unit instruction lists (each in its own order) into the one stream the host sends.

    The command processor dispatches in stream order into bounded unit queues, so a consumer placed
    before its producer could fill a queue and block the producer's dispatch for ever. Here an
    instruction that waits for a token from unit S goes in only after the instruction giving that token
    (the n-th wait of S -> D matches the n-th signal of S -> D); among the ready heads the lists take
    turns, which keeps every unit fed."""
    out, positions = [], [0] * len(streams)
    signals = [[0] * len(Unit) for _ in Unit]
    waits = [[0] * len(Unit) for _ in Unit]

    def unit_of(instruction):
        return UNIT_OF[Opcode(instruction.op)]

    def ready(instruction) -> bool:
        d = unit_of(instruction)
        return all(signals[s][d] > waits[s][d] for s in Unit if instruction.wait >> s & 1)

    while any(p < len(s) for p, s in zip(positions, streams)):
        progressed = False
        for i, s in enumerate(streams):
            if positions[i] < len(s) and ready(s[positions[i]]):
                instruction = s[positions[i]]
                positions[i] += 1
                d = unit_of(instruction)
                for u in Unit:
                    if instruction.wait >> u & 1:
                        waits[u][d] += 1
                    if instruction.signal >> u & 1:
                        signals[d][u] += 1
                out.append(instruction)
                progressed = True
        if not progressed:
            raise CompileError("the program's waits form a cycle (a compiler bug)")
    return out


# ---------------------------------------------------------------------------------------------- conv
def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """NHWC input -> (N*OH*OW) x (KH*KW*C) patch matrix (zero padding), rows in N, OH, OW order."""
    n, h, w, c = x.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    if oh < 1 or ow < 1:
        raise CompileError(f"a {kh}x{kw} kernel does not fit a {h}x{w} input with padding {padding}")
    padded = np.zeros((n, h + 2 * padding, w + 2 * padding, c), dtype=np.int64)
    padded[:, padding:padding + h, padding:padding + w, :] = x
    cols = np.zeros((n, oh, ow, kh, kw, c), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = padded[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
    return cols.reshape(n * oh * ow, kh * kw * c)


@dataclass
class ConvPlan:
    """A conv layer as a GEMM: A = im2col(x), W = weights reshaped (KH*KW*C) x F."""
    gemm: GemmPlan
    output_shape: tuple[int, int, int, int]
    kernel: tuple[int, int]
    stride: int
    padding: int

    @property
    def program(self) -> list[Instruction]:
        return self.gemm.program

    def hbm_image(self, x: np.ndarray, weights: np.ndarray) -> dict[int, int]:
        kh, kw = self.kernel
        return self.gemm.hbm_image(im2col(x, kh, kw, self.stride, self.padding),
                                   weights.reshape(-1, weights.shape[-1]))

    def read_output(self, read_burst) -> np.ndarray:
        return self.gemm.read_output(read_burst).reshape(self.output_shape)


def plan_conv2d(geometry: Geometry, input_shape: tuple[int, int, int, int], kernel_shape: tuple[int, int, int, int],
                stride: int = 1, padding: int = 0, requant: Requant = Requant(), **kwargs) -> ConvPlan:
    """``input_shape`` NHWC, ``kernel_shape`` (KH, KW, C, F) -> the plan of the equivalent GEMM."""
    n, h, w, c = input_shape
    kh, kw, kc, f = kernel_shape
    if kc != c:
        raise CompileError(f"kernel has {kc} input channels, the input {c}")
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    if oh < 1 or ow < 1:
        raise CompileError(f"a {kh}x{kw} kernel does not fit a {h}x{w} input with padding {padding}")
    gemm = plan_gemm(geometry, n * oh * ow, kh * kw * c, f, requant, **kwargs)
    return ConvPlan(gemm, (n, oh, ow, f), (kh, kw), stride, padding)
