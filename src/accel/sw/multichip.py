"""One GEMM on two chips: each computes half of the output columns, chip 1 ships its half to chip 0.

Chip c runs an ordinary :func:`~accel.sw.compiler.plan_gemm` program on its own HBM for its columns.
Then the halves meet on chip 0, in chunks that fit its scratchpad, with a handshake so chip 1 never
writes into chip 0's scratchpad while chip 0 still uses it:

* chip 0: FENCE; SEND one "ready" row to chip 1's mailbox row; RECV the chunk; FENCE; STORE the rows
  (FROM_SP) to HBM after its own result; FENCE; next chunk.
* chip 1: LOAD the chunk's result rows from its HBM; FENCE; RECV the "ready" row; SEND the rows to chip
  0's scratchpad; FENCE; next chunk.

Chip 1 keeps its last scratchpad row out of its own GEMM: that is the mailbox the "ready" rows land in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .compiler import CompileError, GemmPlan, Requant, ceil_div, plan_gemm
from ..arch.geometry import Geometry
from ..arch.isa import Flag, Instruction, Opcode


@dataclass
class SplitPlan:
    plans: list[GemmPlan]
    programs: list[list[Instruction]]
    columns: list[tuple[int, int]]       # output columns of each chip
    remote: GemmPlan                     # chip 1's output segments, moved to where chip 0 stores them

    def hbm_images(self, a: np.ndarray, w: np.ndarray) -> list[dict[int, int]]:
        return [plan.hbm_image(a, w[:, lo:hi]) for plan, (lo, hi) in zip(self.plans, self.columns)]

    def read_output(self, read_chip0) -> np.ndarray:
        return np.concatenate([self.plans[0].read_output(read_chip0), self.remote.read_output(read_chip0)], axis=1)


def plan_split_gemm(geometry: Geometry, M: int, K: int, N: int, requant: Requant = Requant()) -> SplitPlan:
    g = geometry
    tiles = ceil_div(N, g.cols)
    if tiles < 2:
        raise CompileError(f"N={N} is one column tile; there is nothing to split over two chips")
    split = ceil_div(tiles, 2) * g.cols
    columns = [(0, split), (split, N)]
    mine = plan_gemm(g, M, K, split, requant)
    theirs = plan_gemm(g, M, K, N - split, requant, sp_reserved=1)
    mailbox = g.sp_rows - 1
    first_out = theirs.out_segment(0, 0)
    remote = replace(theirs, hbm_base=mine.hbm_end - (first_out - theirs.hbm_base), program=[])

    segments = [(j, nt) for j in range(theirs.Mb) for nt in range(theirs.Nt)]
    chunks, chunk, used = [], [], 0
    for j, nt in segments:
        rows = theirs.block_rows(j)
        if used + rows > g.sp_rows - 1:
            chunks.append(chunk)
            chunk, used = [], 0
        chunk.append((j, nt, used))
        used += rows
    chunks.append(chunk)

    fence = Instruction(Opcode.FENCE)
    program0 = mine.program[:-1]
    program1 = theirs.program[:-1]
    for chunk in chunks:
        total = sum(theirs.block_rows(j) for j, _, _ in chunk)
        program0 += [fence, Instruction(Opcode.SEND, sp=0, rows=1, node=1, acc=mailbox, comment="ready"),
                     Instruction(Opcode.RECV, rows=total), fence]
        program0 += [Instruction(Opcode.STORE, sp=offset, rows=theirs.block_rows(j), flags=int(Flag.FROM_SP),
                                 hbm=remote.out_segment(j, nt), comment=f"chip 1 block {j} n{nt}")
                     for j, nt, offset in chunk]
        program1 += [fence] + [Instruction(Opcode.LOAD, hbm=theirs.out_segment(j, nt), sp=offset,
                                           rows=theirs.block_rows(j)) for j, nt, offset in chunk]
        program1 += [fence, Instruction(Opcode.RECV, rows=1, comment="chip 0 ready"),
                     Instruction(Opcode.SEND, sp=0, rows=total, node=0, acc=0)]
    program0 += [Instruction(Opcode.END)]
    program1 += [Instruction(Opcode.END)]
    return SplitPlan([mine, theirs], [program0, program1], columns, remote)
