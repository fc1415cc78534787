"""cocotb bench of the whole accelerator (``accel_soc``; ``accel_soc_ring`` for the two-chip test).

Programs come from the compiler (accel.sw.compiler), go in through the CSR port, and every result is
compared bit for bit with numpy (int8 inputs, int32 accumulation, requantization). The HBM device models
flag any protocol violation, checked at the end of every test.
"""


import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from accel.sim.golden import conv2d, matmul, random_int, requantize
from accel.sim.soc_tb import SocTB
from accel.sw.compiler import Requant, plan_conv2d, plan_gemm
from accel.arch.isa import Error, Flag, Instruction, Opcode, Unit, units_mask
from accel.sw.multichip import plan_split_gemm

TIMEOUT = dict(timeout_time=600, timeout_unit="sec")


def random_requant(tb, relu=None):
    return Requant(scale=int(tb.rng.integers(1, 1 << 16)), shift=int(tb.rng.integers(8, 28)),
                   relu=bool(tb.rng.integers(2)) if relu is None else relu)


def expected(tb, a, w, rq):
    return requantize(matmul(a, w, tb.config.array.acc_width), rq.scale, rq.shift, rq.relu,
                      tb.config.array.input_width)


async def check_gemm(tb, M, K, N, rq=None, a=None, w=None, fetch=True, **plan_args):
    width = tb.config.array.input_width
    a = random_int(tb.rng, (M, K), width) if a is None else a
    w = random_int(tb.rng, (K, N), width) if w is None else w
    rq = rq or random_requant(tb)
    plan = plan_gemm(tb.geometry, M, K, N, rq, **plan_args)
    got, run = await tb.chip.gemm(plan, a, w, fetch=fetch)
    want = expected(tb, a, w, rq)
    bad = np.argwhere(got != want)
    assert not len(bad), (f"GEMM {M}x{K}x{N} {rq}: {len(bad)} of {M * N} differ, first at {bad[0].tolist()}: "
                          f"got {got[tuple(bad[0])]}, want {want[tuple(bad[0])]} (seed {tb.seed})")
    tb.log.info("GEMM %dx%dx%d (mb %d): %d instructions, %d cycles, %d MACs", M, K, N, plan.mb,
                len(plan.program), run.cycles, run.counters["macs"])
    return run


@cocotb.test(**TIMEOUT)
async def test_gemm_shapes(dut):
    """From one element to several tiles in every dimension, sizes not multiples of the array."""
    tb = SocTB(dut)
    await tb.start()
    R, C = tb.geometry.rows, tb.geometry.cols
    shapes = [(1, 1, 1), (R, R, C), (R + 1, 2 * R - 1, C + 3), (3, 5 * R + 2, 2), (40, 3 * R, 3 * C + 1),
              (2 * tb.geometry.acc_rows + 7, R + 1, C - 1 or 1)]
    for index, (M, K, N) in enumerate(shapes):
        # Programs alternate between the fetch unit (from HBM) and host pushes through the CSR port.
        await check_gemm(tb, M, K, N, fetch=index % 2 == 0)
    # Small row blocks force many blocks, so both activation and accumulator buffers are reused.
    await check_gemm(tb, 23, 2 * R + 1, 2 * C + 1, max_block=3)
    tb.check_hbm_timing()


@cocotb.test(**TIMEOUT)
async def test_gemm_extremes(dut):
    """Signed extremes everywhere: saturation both ways, ReLU, shift 0 and 63, scale 0."""
    tb = SocTB(dut)
    await tb.start()
    lo, hi = -(1 << (tb.config.array.input_width - 1)), (1 << (tb.config.array.input_width - 1)) - 1
    K, M, N = 3 * tb.geometry.rows + 1, 9, tb.geometry.cols + 2
    for a_value, w_value in ((lo, lo), (lo, hi), (hi, hi)):
        a, w = np.full((M, K), a_value), np.full((K, N), w_value)
        for rq in (Requant(1, 0, False), Requant(1, 0, True), Requant(0xFFFF, 63, False), Requant(0, 5, False)):
            await check_gemm(tb, M, K, N, rq, a, w)
    a = random_int(tb.rng, (M, K), tb.config.array.input_width, extremes=0.5)
    w = random_int(tb.rng, (K, N), tb.config.array.input_width, extremes=0.5)
    await check_gemm(tb, M, K, N, Requant(3, 10, False), a, w)
    tb.check_hbm_timing()


@cocotb.test(**TIMEOUT)
async def test_conv_layers(dut):
    """Convolutions lowered by im2col, checked against a direct convolution."""
    tb = SocTB(dut)
    await tb.start()
    width = tb.config.array.input_width
    for shape, kernel, stride, padding in (((1, 6, 6, 3), (3, 3, 3, 5), 1, 1), ((2, 7, 5, 4), (3, 2, 4, 6), 2, 0),
                                           ((1, 4, 4, 8), (1, 1, 8, 3), 1, 0)):
        x = random_int(tb.rng, shape, width)
        k = random_int(tb.rng, kernel, width)
        rq = random_requant(tb)
        plan = plan_conv2d(tb.geometry, shape, kernel, stride, padding, rq)
        tb.chip.write_hbm(plan.hbm_image(x, k))
        await tb.chip.run(plan.program)
        got = plan.read_output(tb.chip.read_hbm)
        want = requantize(conv2d(x, k, stride, padding, tb.config.array.acc_width), rq.scale, rq.shift, rq.relu,
                          width)
        assert np.array_equal(got, want), f"conv {shape} * {kernel} stride {stride} pad {padding} differs"
    tb.check_hbm_timing()


def bad_programs(g):
    """(instruction, error) pairs: each must stop the processor with that error."""
    E, R = Error, g.rows
    return [
        (Instruction(15), E.ILLEGAL_OPCODE),
        (Instruction(Opcode.LOAD, rows=1, wait=units_mask([Unit.LOAD])), E.BAD_DEPENDENCY),
        (Instruction(Opcode.FENCE, signal=units_mask([Unit.EXEC])), E.BAD_DEPENDENCY),
        (Instruction(Opcode.LOAD, sp=g.sp_rows - 1, rows=2), E.SP_RANGE),
        (Instruction(Opcode.LOAD, rows=0), E.SP_RANGE),
        (Instruction(Opcode.WEIGHTS, sp=g.sp_rows - R + 1), E.SP_RANGE),
        (Instruction(Opcode.MATMUL, rows=1, acc=g.acc_rows), E.ACC_RANGE),
        (Instruction(Opcode.STORE, rows=g.acc_rows + 1), E.ACC_RANGE),
        (Instruction(Opcode.SEND, rows=1, node=0), E.BAD_NODE),
        (Instruction(Opcode.SEND, rows=1, node=g.nodes), E.BAD_NODE),
        (Instruction(Opcode.MATMUL, rows=1, flags=Flag.NEW_WEIGHTS), E.NO_WEIGHTS),
    ] + ([] if g.network else [(Instruction(Opcode.RECV, rows=1), E.BAD_NODE)])   # a single chip


@cocotb.test(**TIMEOUT)
async def test_illegal_instructions(dut):
    """Every error is reported (status, code, instruction index, interrupt) instead of hanging, and a
    reset brings the chip back."""
    tb = SocTB(dut)
    await tb.start()
    g = tb.geometry
    nop, end = Instruction(Opcode.NOP), Instruction(Opcode.END)
    cases = [([nop, nop, bad, end], 2, error) for bad, error in bad_programs(g)]
    load_w = Instruction(Opcode.LOAD, sp=0, rows=g.rows)
    cases.append(([nop, load_w, Instruction(Opcode.WEIGHTS), Instruction(Opcode.WEIGHTS), end], 3,
                  Error.WEIGHTS_UNUSED))
    cases.append(([nop, Instruction(Opcode.LOAD, rows=1, signal=units_mask([Unit.EXEC])), end], 2,
                  Error.TOKENS_LEFT))
    for number, (program, index, error) in enumerate(cases):
        result = await tb.chip.run(program, timeout_cycles=5000, expect_error=True, fetch=number % 2 == 0)
        assert result.error == error, f"{program[index]}: got {result.error.name}, want {error.name}"
        assert result.error_pc == index, f"{program[index]}: error at instruction {result.error_pc}, want {index}"
        assert result.status & 2, "status does not show the error"
        await tb.reset()
    await check_gemm(tb, 7, 9, 5)
    tb.check_hbm_timing()


@cocotb.test(**TIMEOUT)
async def test_reset_mid_program(dut):
    """A reset in the middle of a long program: the next program runs and is right."""
    tb = SocTB(dut)
    await tb.start()
    g = tb.geometry
    M, K, N = 120, 6 * g.rows, 5 * g.cols
    plan = plan_gemm(g, M, K, N, random_requant(tb))
    a = random_int(tb.rng, (M, K), g.input_width)
    w = random_int(tb.rng, (K, N), g.input_width)
    tb.chip.write_hbm(plan.hbm_image(a, w))
    await tb.chip.write("irq_enable", 3)
    await tb.chip.start_fetch(plan.program)
    await ClockCycles(dut.clk, 1500)
    assert await tb.chip.read("taken") > 0, "the program did not start"
    assert await tb.chip.read("ends") == 0, "the program ended before the reset"
    await tb.reset()
    assert await tb.chip.read("taken") == 0
    await check_gemm(tb, 13, 2 * g.rows + 3, g.cols + 1)
    tb.check_hbm_timing()


@cocotb.test(**TIMEOUT)
async def test_split_gemm_two_chips(dut):
    """Two chips on a ring share one GEMM: each computes half of the output columns, chip 1 sends its
    half over the network, chip 0 ends with the whole result in its HBM."""
    tb = SocTB(dut)
    assert len(tb.chips) >= 2, "needs the soc_ring top"
    await tb.start()
    g = tb.geometry
    for M, K, N in ((9, 2 * g.rows + 1, 3 * g.cols - 1), (30, 3 * g.rows, 4 * g.cols + 2)):
        rq = random_requant(tb)
        a = random_int(tb.rng, (M, K), g.input_width)
        w = random_int(tb.rng, (K, N), g.input_width)
        split = plan_split_gemm(g, M, K, N, rq)
        for chip, image in zip(tb.chips, split.hbm_images(a, w)):
            chip.write_hbm(image)
        for chip in tb.chips:
            await chip.write("irq_enable", 3)
        await tb.chips[1].start_fetch(split.programs[1])
        await tb.chips[0].start_fetch(split.programs[0])
        for chip in tb.chips[:2]:
            status = await chip.wait_interrupt(400_000)
            assert status == 1, f"{chip.prefix}: interrupt status {status} (error {await chip.read('status'):#x})"
        got = split.read_output(tb.chips[0].read_hbm)
        assert np.array_equal(got, expected(tb, a, w, rq)), f"split GEMM {M}x{K}x{N} differs (seed {tb.seed})"
        sent = await tb.chips[1].read("net_sent_rows")
        tb.log.info("split GEMM %dx%dx%d: chip 1 sent %d rows", M, K, N, sent)
        assert sent >= M
    tb.check_hbm_timing()
