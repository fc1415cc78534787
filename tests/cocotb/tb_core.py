"""cocotb bench for the compute core (systolic array + accumulator) against numpy.

Run through pytest (tests/cocotb/test_core.py), which builds the core for each config and simulator.
Every test draws its data from the seed the wrapper passes in ACCEL_SEED (logged at start).
"""

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from accel.sim.core_tb import CoreTB, GemmStats, Vector
from accel.sim.golden import matmul, random_int

TIMEOUT = dict(timeout_time=200, timeout_unit="ms")


def shapes(tb: CoreTB):
    """GEMM shapes for this config: single tiles, ragged edges, K > rows, N > cols, M > accumulator rows."""
    R, C, D = tb.rows, tb.cols, tb.depth
    return [
        (1, 1, 1),
        (R, R, C),
        (5, 2 * R + 1, C + 1),
        (2 * R + 3, 3 * R, 2 * C),
        (min(D + 3, 40), R + 1, C),
    ]


async def check_gemm(tb: CoreTB, M: int, K: int, N: int, extremes: float = 0.1) -> GemmStats:
    a = random_int(tb.rng, (M, K), tb.w, extremes)
    w = random_int(tb.rng, (K, N), tb.w, extremes)
    stats = GemmStats()
    got = await tb.gemm(a, w, stats)
    want = matmul(a, w, tb.acc_width)
    if not np.array_equal(got, want):
        bad = np.argwhere(got != want)
        i, j = bad[0]
        raise AssertionError(
            f"GEMM {M}x{K}x{N} (seed {tb.seed}): {len(bad)} wrong elements, first at [{i},{j}]: "
            f"got {got[i, j]}, want {want[i, j]}")
    tb.log.info("GEMM %dx%dx%d ok: %d cycles, utilization %.2f", M, K, N, stats.cycles,
                stats.utilization(tb.rows, tb.cols))
    return stats


@cocotb.test(**TIMEOUT)
async def test_gemm_shapes(dut):
    """Random int8 GEMMs of several shapes, including multi-tile K and N and ragged edges."""
    tb = CoreTB(dut)
    await tb.start()
    for M, K, N in shapes(tb):
        await check_gemm(tb, M, K, N)


@cocotb.test(**TIMEOUT)
async def test_gemm_extremes(dut):
    """Only -128 and 127 (signed extremes), and the largest products (-128 * -128), over several K tiles."""
    tb = CoreTB(dut)
    await tb.start()
    await check_gemm(tb, 6, 3 * tb.rows, 2 * tb.cols, extremes=1.0)
    lo = -(1 << (tb.w - 1))
    a = np.full((3, 4 * tb.rows), lo, dtype=np.int64)
    w = np.full((4 * tb.rows, tb.cols), lo, dtype=np.int64)
    got = await tb.gemm(a, w)
    assert np.array_equal(got, matmul(a, w, tb.acc_width)), (got, matmul(a, w, tb.acc_width))


@cocotb.test(**TIMEOUT)
async def test_bubbles(dut):
    """Idle cycles between activation vectors and between weight rows leave results unchanged."""
    tb = CoreTB(dut)
    await tb.start()
    tb.bubble_probability = 0.35
    tb.weight_gap_probability = 0.35
    for M, K, N in shapes(tb)[1:4]:
        await check_gemm(tb, M, K, N)


@cocotb.test(**TIMEOUT)
async def test_reset_mid_tile(dut):
    """A reset in the middle of a tile clears the pipeline and the weight state; the next GEMM is exact."""
    tb = CoreTB(dut)
    await tb.start()
    a = random_int(tb.rng, (3 * tb.rows + 5, 2 * tb.rows), tb.w)
    w = random_int(tb.rng, (2 * tb.rows, 2 * tb.cols), tb.w)
    task = cocotb.start_soon(tb.gemm(a, w))
    await ClockCycles(dut.clk, tb.rows * 2 + 7)
    task.cancel()
    assert int(dut.busy.value) or int(dut.weights_pending.value), "reset should land mid-tile"
    await tb.reset()
    await ReadOnly()
    assert int(dut.busy.value) == 0, "busy after reset"
    assert int(dut.weights_pending.value) == 0, "weights pending after reset"
    assert int(dut.weights__ready.value) == 1, "weight port not ready after reset"
    await RisingEdge(dut.clk)
    for M, K, N in shapes(tb)[1:4]:
        await check_gemm(tb, M, K, N)


@cocotb.test(**TIMEOUT)
async def test_new_tile_waits_for_weights(dut):
    """A new-tile vector is held (ready low) until the whole weight tile is in; then it uses that tile."""
    tb = CoreTB(dut)
    await tb.start()
    tile = random_int(tb.rng, (tb.rows, tb.cols), tb.w)
    data = random_int(tb.rng, (tb.rows,), tb.w)
    dut.act__valid.value = 1
    dut.act__payload.value = tb.act_word(Vector(data, 0, accumulate=False, new_tile=True))
    for _ in range(5):
        await ReadOnly()
        assert int(dut.act__ready.value) == 0, "new tile accepted before any weights"
        await RisingEdge(dut.clk)
    # All rows but the top one: still held.
    for r in reversed(range(1, tb.rows)):
        await tb.load_weight_rows(tile, [r])
        await ReadOnly()
        assert int(dut.act__ready.value) == 0, "new tile accepted with a partial weight tile"
        await RisingEdge(dut.clk)
    await tb.load_weight_rows(tile, [0])
    while True:
        await ReadOnly()
        taken = int(dut.act__ready.value)
        await RisingEdge(dut.clk)
        if taken:
            break
    dut.act__valid.value = 0
    await ReadOnly()
    assert int(dut.weights__ready.value) == 0, "weight port must stay closed while the tile switch sweeps"
    await RisingEdge(dut.clk)
    await tb.wait_idle()
    got = await tb.read_rows([0])
    want = matmul(data[None, :], tile, tb.acc_width)
    assert np.array_equal(got, want), (got, want)


@cocotb.test(**TIMEOUT)
async def test_accumulate_same_row_back_to_back(dut):
    """Consecutive vectors updating one accumulator row (read-after-write every cycle) all count."""
    tb = CoreTB(dut)
    await tb.start()
    tile = random_int(tb.rng, (tb.rows, tb.cols), tb.w)
    data = random_int(tb.rng, (9, tb.rows), tb.w)
    await tb.load_weights(tile)
    for index, row in enumerate(data):
        await tb.send_vector(Vector(row, 1, accumulate=index > 0, new_tile=index == 0))
    await tb.wait_idle()
    got = await tb.read_rows([1])
    want = matmul(data.sum(axis=0, keepdims=True), tile, tb.acc_width)
    assert np.array_equal(got, want), (got, want)


@cocotb.test(**TIMEOUT)
async def test_overwrite_replaces_old_results(dut):
    """The first K tile overwrites its accumulator rows: a second GEMM does not see the first one's sums."""
    tb = CoreTB(dut)
    await tb.start()
    M, K, N = 4, 2 * tb.rows, tb.cols
    await check_gemm(tb, M, K, N)
    await check_gemm(tb, M, K, N)


@cocotb.test(**TIMEOUT)
async def test_streaming_utilization(dut):
    """Back-to-back tiles overlap weight loading with streaming: a long GEMM keeps the array busy."""
    tb = CoreTB(dut)
    await tb.start()
    M = min(tb.depth, 64)
    stats = await check_gemm(tb, M, 4 * tb.rows, tb.cols)
    # Each tile costs M cycles of streaming; the fill/drain of the whole pass is paid once.
    bound = 4 * M / (4 * M + tb.rows + tb.cols + 8)
    assert stats.utilization(tb.rows, tb.cols) >= 0.9 * bound, (stats, bound)
