"""Bus-level driver for the compute core (``accel_core``): weight tiles, activation streams, read-back.

The GEMM schedule lives here once, shared by the tests and the benchmarks: split ``A (M x K) @ W (K x N)``
into array-sized weight tiles, stream each tile's activations into accumulator rows (overwrite for the
first K tile, accumulate for the rest), read the rows back. Weight loading and activation streaming run
as two independent producers; the core's own interlocks keep them in step, which is what the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from .tb import TB


def pack(values, width: int) -> int:
    """Signed values into one integer, element 0 in the least significant bits."""
    mask = (1 << width) - 1
    word = 0
    for index, value in enumerate(values):
        word |= (int(value) & mask) << (index * width)
    return word


def unpack(word: int, count: int, width: int) -> np.ndarray:
    mask, half = (1 << width) - 1, 1 << (width - 1)
    out = np.empty(count, dtype=np.int64)
    for index in range(count):
        raw = (word >> (index * width)) & mask
        out[index] = raw - (1 << width) if raw & half else raw
    return out


@dataclass
class Vector:
    """One activation vector and its destination."""

    data: np.ndarray
    acc_addr: int
    accumulate: bool
    new_tile: bool


@dataclass
class GemmStats:
    """Cycle counts of the compute phase of a GEMM (first vector accepted to last row written)."""

    cycles: int = 0
    vectors: int = 0
    macs: int = 0  # useful multiply-accumulates (M*K*N)

    def utilization(self, rows: int, cols: int) -> float:
        return self.macs / (rows * cols * self.cycles) if self.cycles else 0.0


class CoreTB(TB):
    def __init__(self, dut, seed: int | None = None):
        super().__init__(dut, seed)
        a = self.config.array
        self.rows, self.cols = a.rows, a.cols
        self.w, self.acc_width = a.input_width, a.acc_width
        self.depth = self.config.memory.accumulator_rows
        fields = self.manifest["payload_fields"]["act"]
        self.offsets = {name: spec["offset"] for name, spec in fields.items()}
        self.bubble_probability = 0.0  # chance of an idle cycle before each activation vector
        self.weight_gap_probability = 0.0

    def idle_inputs(self) -> None:
        dut = self.dut
        dut.weights__valid.value = 0
        dut.weights__payload.value = 0
        dut.act__valid.value = 0
        dut.act__payload.value = 0
        dut.rd_en.value = 0
        dut.rd_addr.value = 0

    # ------------------------------------------------------------------ stream primitives

    async def _send(self, valid, payload, ready, word: int) -> None:
        """Offer one beat and hold it until the DUT accepts it (valid and ready on a rising edge)."""
        valid.value = 1
        payload.value = word
        while True:
            await ReadOnly()
            taken = bool(ready.value)
            await RisingEdge(self.dut.clk)
            if taken:
                break
        valid.value = 0

    async def _gap(self, probability: float) -> None:
        while probability and self.rng.random() < probability:
            await RisingEdge(self.dut.clk)

    async def load_weights(self, tile: np.ndarray) -> None:
        """Send an R x C weight tile, bottom row first, as the shift chain expects."""
        await self.load_weight_rows(tile, reversed(range(self.rows)))

    async def load_weight_rows(self, tile: np.ndarray, rows) -> None:
        """Send the given rows of ``tile`` in the given order (a whole tile is all rows, bottom first)."""
        assert tile.shape == (self.rows, self.cols), tile.shape
        for r in rows:
            await self._gap(self.weight_gap_probability)
            await self._send(self.dut.weights__valid, self.dut.weights__payload, self.dut.weights__ready,
                             pack(tile[r], self.w))

    def act_word(self, vector: Vector) -> int:
        o = self.offsets
        return (pack(vector.data, self.w) << o["data"]
                | vector.acc_addr << o["acc_addr"]
                | int(vector.accumulate) << o["accumulate"]
                | int(vector.new_tile) << o["new_tile"])

    async def send_vector(self, vector: Vector) -> None:
        await self._gap(self.bubble_probability)
        await self._send(self.dut.act__valid, self.dut.act__payload, self.dut.act__ready, self.act_word(vector))

    async def wait_idle(self, limit: int = 100_000) -> None:
        for _ in range(limit):
            await ReadOnly()
            if not int(self.dut.busy.value):
                await RisingEdge(self.dut.clk)
                return
            await RisingEdge(self.dut.clk)
        raise AssertionError(f"core still busy after {limit} cycles")

    async def read_rows(self, addresses) -> np.ndarray:
        """Read accumulator rows, one request per cycle, pipelined (data arrives one cycle later)."""
        addresses = list(addresses)
        out = np.zeros((len(addresses), self.cols), dtype=np.int64)
        received = 0
        for step in range(len(addresses) + 1):
            if step < len(addresses):
                self.dut.rd_en.value = 1
                self.dut.rd_addr.value = addresses[step]
            else:
                self.dut.rd_en.value = 0
            await ReadOnly()
            if int(self.dut.rd_valid.value):
                out[received] = unpack(int(self.dut.rd_data.value), self.cols, self.acc_width)
                received += 1
            await RisingEdge(self.dut.clk)
        assert received == len(addresses), (received, len(addresses))
        return out

    # ------------------------------------------------------------------ GEMM schedule

    def tiles(self, a: np.ndarray, w: np.ndarray, acc_base: int = 0):
        """Weight tiles and their activation vectors for one pass (rows fit in the accumulator)."""
        M, K = a.shape
        N = w.shape[1]
        R, C = self.rows, self.cols
        k_tiles, n_tiles = -(-K // R), -(-N // C)
        schedule = []
        for n in range(n_tiles):
            for k in range(k_tiles):
                tile = np.zeros((R, C), dtype=np.int64)
                block = w[k * R:(k + 1) * R, n * C:(n + 1) * C]
                tile[:block.shape[0], :block.shape[1]] = block
                vectors = []
                for m in range(M):
                    data = np.zeros(R, dtype=np.int64)
                    row = a[m, k * R:(k + 1) * R]
                    data[:row.shape[0]] = row
                    vectors.append(Vector(data, acc_base + n * M + m, accumulate=k > 0, new_tile=m == 0))
                schedule.append((tile, vectors))
        return schedule

    async def run_pass(self, a: np.ndarray, w: np.ndarray, stats: GemmStats | None = None) -> None:
        schedule = self.tiles(a, w)

        async def weights():
            for tile, _ in schedule:
                await self.load_weights(tile)

        loader = cocotb.start_soon(weights())
        start = None
        try:
            for _, vectors in schedule:
                for vector in vectors:
                    await self.send_vector(vector)
                    if start is None:
                        start = self.cycle - 1
            await loader
        finally:
            # If this pass is cancelled (e.g. a test resets the DUT mid-tile), stop loading weights too.
            if not loader.done():
                loader.cancel()
        await self.wait_idle()
        if stats is not None:
            stats.cycles += self.cycle - start
            stats.vectors += sum(len(v) for _, v in schedule)

    async def gemm(self, a: np.ndarray, w: np.ndarray, stats: GemmStats | None = None) -> np.ndarray:
        """``A @ W`` on the core, in as many passes as the accumulator memory needs."""
        M, K = a.shape
        N = w.shape[1]
        C = self.cols
        n_tiles = -(-N // C)
        m_chunk = min(M, self.depth)
        group = max(1, min(n_tiles, self.depth // m_chunk))
        result = np.zeros((M, N), dtype=np.int64)
        for m0 in range(0, M, m_chunk):
            a_rows = a[m0:m0 + m_chunk]
            rows = a_rows.shape[0]
            for g0 in range(0, n_tiles, group):
                cols = slice(g0 * C, min(N, (g0 + group) * C))
                await self.run_pass(a_rows, w[:, cols], stats)
                width = cols.stop - cols.start
                n_in_pass = -(-width // C)
                read = await self.read_rows(range(n_in_pass * rows))
                for n in range(n_in_pass):
                    lo = n * C
                    hi = min(width, lo + C)
                    result[m0:m0 + rows, cols.start + lo:cols.start + hi] = read[n * rows:(n + 1) * rows, :hi - lo]
        if stats is not None:
            stats.macs += M * K * N
        return result
