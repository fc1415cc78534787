"""The ISA encoding, the packing of tensors into HBM bursts, and the compiler's programs (pure Python)."""

import numpy as np
import pytest

from accel.config import load_config
from accel.sim.golden import conv2d, random_int
from accel.sw.compiler import (MAX_WEIGHT_BUFFERS, MIN_WEIGHT_BUFFERS, CompileError, Requant, ceil_div, im2col,
                               pack_rows, plan_conv2d, plan_gemm, unpack_rows)
from accel.arch.geometry import Geometry
from accel.arch.isa import FIELDS, INSTRUCTION_BITS, UNIT_OF, Flag, Instruction, Opcode, Unit
from accel.sw.multichip import plan_split_gemm
from accel.config import ConfigError


@pytest.fixture(scope="module")
def geometry():
    return Geometry.from_config(load_config("array4x4"))


def test_fields_fill_the_instruction():
    assert sum(bits for _, bits in FIELDS) == INSTRUCTION_BITS == 128


def test_encode_decode_round_trip():
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = {name: int(rng.integers(0, 1 << bits)) for name, bits in FIELDS if name != "op"}
        instruction = Instruction(Opcode(int(rng.integers(0, len(Opcode)))), **values)
        assert Instruction.decode(instruction.encode()) == instruction
        words = instruction.words()
        assert len(words) == 4 and sum(w << (32 * i) for i, w in enumerate(words)) == instruction.encode()


def test_field_overflow_is_refused():
    with pytest.raises(ValueError, match="rows"):
        Instruction(Opcode.LOAD, rows=1 << 16).encode()


def test_pack_unpack_rows(geometry):
    rng = np.random.default_rng(2)
    rows = random_int(rng, (19, geometry.cols), geometry.input_width)
    bursts = pack_rows(geometry, rows, geometry.input_width)
    assert len(bursts) == geometry.bursts(19)
    assert np.array_equal(unpack_rows(geometry, bursts, 19, geometry.cols, geometry.input_width), rows)


def replay_tokens(program):
    """Play the scoreboard's token counting over a program in order: no wait may come before its
    signal, and none may be left at the end."""
    tokens = {(s, d): 0 for s in Unit for d in Unit}
    for instruction in program:
        if instruction.op not in UNIT_OF:
            continue
        unit = UNIT_OF[instruction.op]
        for s in Unit:
            if instruction.wait >> s & 1:
                assert tokens[(s, unit)] > 0, f"{instruction} waits before its token is given"
                tokens[(s, unit)] -= 1
        for d in Unit:
            if instruction.signal >> d & 1:
                tokens[(unit, d)] += 1
    return tokens


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 3), (40, 12, 13), (200, 9, 30), (23, 9, 9)])
def test_gemm_programs_balance_tokens(geometry, shape):
    plan = plan_gemm(geometry, *shape, Requant(3, 4, True))
    assert plan.program[-1].op == Opcode.END
    assert all(v == 0 for v in replay_tokens(plan.program).values())
    tiles = plan.Mb * plan.Nt * plan.Kt
    assert sum(i.op == Opcode.MATMUL for i in plan.program) == tiles
    assert sum(i.op == Opcode.STORE for i in plan.program) == plan.Mb * plan.Nt
    # the buffers fit
    assert 2 * plan.mb <= geometry.acc_rows
    assert not plan.streamed and plan.weight_buffers * geometry.rows + 2 * plan.Kt * plan.mb <= geometry.sp_rows
    # the row blocks are even: the last one is short by less than one row per block
    assert plan.block_rows(plan.Mb - 1) > plan.mb - plan.Mb


def test_row_blocks_are_balanced(geometry):
    full = plan_gemm(geometry, 4096, 8, 4)
    assert full.Mb > 1
    plan = plan_gemm(geometry, full.mb * 2 + 1, 8, 4)       # two full blocks and one row, before
    assert plan.Mb == 3 and plan.mb == ceil_div(2 * full.mb + 1, 3)


def test_weight_buffers_follow_the_scratchpad(geometry):
    from dataclasses import replace
    big = replace(geometry, sp_rows=4096)
    assert plan_gemm(big, 64, 64, 64).weight_buffers == MAX_WEIGHT_BUFFERS
    small = replace(geometry, sp_rows=8 * 3 * geometry.rows)    # an eighth holds 3 tiles: the minimum
    assert plan_gemm(small, 4, 4, 4 * geometry.cols).weight_buffers == MIN_WEIGHT_BUFFERS
    # never more than a block's tiles + 1 (block j's activations must fit between blocks j-2 and j)
    assert plan_gemm(big, 64, geometry.rows, geometry.cols).weight_buffers == 2


def test_first_tile_waits_for_its_own_chunk_only(geometry):
    plan = plan_gemm(geometry, 8, 6 * geometry.rows, 8)
    loads = [i for i in plan.program if i.op == Opcode.LOAD]
    first_weights = next(n for n, i in enumerate(loads) if i.comment.startswith("W"))
    assert [i.comment for i in loads[:first_weights]] == ["A block 0 chunk 0"]


def test_every_matmul_switches_weights(geometry):
    plan = plan_gemm(geometry, 9, 9, 9)
    matmuls = [i for i in plan.program if i.op == Opcode.MATMUL]
    assert all(i.flags & Flag.NEW_WEIGHTS for i in matmuls)
    assert [bool(i.flags & Flag.ACCUMULATE) for i in matmuls[:3]] == [False, True, True]


def test_too_small_scratchpad_is_a_compile_error(geometry):
    from dataclasses import replace
    least = 2 * (geometry.rows + 1)                 # two buffers: a weight tile and one activation row each
    with pytest.raises(CompileError, match=f"scratchpad has {least - 1} rows .* needs {least}"):
        plan_gemm(replace(geometry, sp_rows=least - 1), 4, 4 * geometry.rows, 4)
    plan = plan_gemm(replace(geometry, sp_rows=least), 4, 4 * geometry.rows, 4)
    assert plan.streamed and plan.mb == 1
    execute_symbolically(plan, 0)
    with pytest.raises(CompileError, match="positive"):
        plan_gemm(geometry, 0, 4, 4)


def execute_symbolically(plan, seed):
    """Run a GEMM program on a symbolic SoC and check every output row got the right products.

    Each unit runs its own instructions in order; at every step a random unit whose next instruction has
    its tokens goes, so the run follows one of the orders the scoreboard allows. Scratchpad rows hold
    where they were loaded from (HBM segment, row); an accumulator row the (weight tile, activation row)
    pairs added into it. A missing wait shows up, over a few seeds, as a row read before it is written
    or after it is overwritten."""
    rng = np.random.default_rng(seed)
    queues = {u: [i for i in plan.program if UNIT_OF.get(i.op) == u] for u in (Unit.LOAD, Unit.EXEC, Unit.STORE)}
    tokens = {(s, d): 0 for s in Unit for d in Unit}
    sp, acc, stored, weights = {}, {}, {}, None
    while any(queues.values()):
        ready = [u for u, q in queues.items() if q and all(tokens[(s, u)] for s in Unit if q[0].wait >> s & 1)]
        assert ready, "the program deadlocks"
        unit = ready[rng.integers(len(ready))]
        i = queues[unit].pop(0)
        for s in Unit:
            tokens[(s, unit)] -= i.wait >> s & 1
            tokens[(unit, s)] += i.signal >> s & 1
        rows = range(i.rows)
        if i.op == Opcode.LOAD:
            sp.update({i.sp + r: (i.hbm, r) for r in rows})
        elif i.op == Opcode.WEIGHTS:
            weights = tuple(sp.get(i.sp + r) for r in range(plan.geometry.rows))
        elif i.op == Opcode.MATMUL:
            for r in rows:
                product = [(weights, sp.get(i.sp + r))]
                acc[i.acc + r] = acc[i.acc + r] + product if i.flags & Flag.ACCUMULATE else product
        elif i.op == Opcode.STORE:
            stored.update({(i.hbm, r): acc[i.acc + r] for r in rows})
    R = plan.geometry.rows
    for j in range(plan.Mb):
        for nt in range(plan.Nt):
            for r in range(plan.block_rows(j)):
                want = [(tuple((plan.w_segment(kt, nt), w) for w in range(R)), (plan.a_segment(j, kt), r))
                        for kt in range(plan.Kt)]
                assert stored[(plan.out_segment(j, nt), r)] == want, f"block {j} n{nt} row {r}"


SMALL_SOC = Geometry.from_config(load_config("default"))      # 2x2 array, 16 scratchpad rows


@pytest.mark.parametrize("geometry_name, shape", [
    ("array4x4", (40, 12, 13)), ("array4x4", (200, 9, 30)), ("array4x4", (3, 100, 5)),
    ("default", (5, 4, 3)), ("default", (9, 64, 7)), ("default", (32, 32, 32)), ("default", (1, 1, 1)),
])
def test_programs_compute_every_product_in_any_allowed_order(geometry, geometry_name, shape):
    g = geometry if geometry_name == "array4x4" else SMALL_SOC
    plan = plan_gemm(g, *shape)
    assert plan.sp_rows_used <= g.sp_rows and 2 * plan.mb <= g.acc_rows
    for seed in range(3):
        execute_symbolically(plan, seed)


def test_large_k_streams_on_a_small_scratchpad():
    assert not plan_gemm(SMALL_SOC, 4, 4, 4).streamed
    # resident, 8x8x8 would have one-row blocks, each tile switching weights for a single row
    assert plan_gemm(SMALL_SOC, 8, 8, 8).streamed and plan_gemm(SMALL_SOC, 8, 8, 8).mb == 4
    plan = plan_gemm(SMALL_SOC, 32, 64, 32)
    assert plan.streamed and plan.sp_rows_used <= SMALL_SOC.sp_rows
    assert plan.mb == SMALL_SOC.acc_rows // 2 and plan.weight_buffers >= 2
    loads = [i.comment for i in plan.program if i.op == Opcode.LOAD]
    # every tile brings its own activation chunk, then its weights
    assert loads[:4] == ["A block 0 chunk 0", "W tile k0 n0", "A block 0 chunk 1", "W tile k1 n0"]
    assert sum(c.startswith("A") for c in loads) == plan.Mb * plan.Nt * plan.Kt


def test_im2col_matches_direct_convolution():
    rng = np.random.default_rng(3)
    x = random_int(rng, (2, 6, 5, 3), 8)
    k = random_int(rng, (3, 2, 3, 4), 8)
    for stride, padding in ((1, 0), (2, 1)):
        got = im2col(x, 3, 2, stride, padding) @ k.reshape(-1, 4)
        want = conv2d(x, k, stride, padding)
        assert np.array_equal(got.reshape(want.shape), want)


def test_conv_plan_shape(geometry):
    plan = plan_conv2d(geometry, (1, 8, 8, 3), (3, 3, 3, 16), stride=1, padding=1)
    assert plan.output_shape == (1, 8, 8, 16)
    assert (plan.gemm.M, plan.gemm.K, plan.gemm.N) == (64, 27, 16)
    with pytest.raises(CompileError, match="channels"):
        plan_conv2d(geometry, (1, 8, 8, 3), (3, 3, 4, 16))


def test_split_gemm_programs(geometry):
    split = plan_split_gemm(geometry, 30, 12, 18)
    assert split.columns == [(0, 12), (12, 18)]
    for program in split.programs:
        assert all(v == 0 for v in replay_tokens(program).values())
    assert sum(i.op == Opcode.SEND for i in split.programs[1]) >= 1
    with pytest.raises(CompileError, match="split"):
        plan_split_gemm(geometry, 4, 4, geometry.cols)


def test_geometry_refuses_what_the_soc_cannot_do():
    with pytest.raises(ConfigError, match="pseudo_channels"):
        Geometry.from_config(load_config("array4x4", ["hbm.pseudo_channels=3"]))
    with pytest.raises(ConfigError, match="max_payload_flits"):
        Geometry.from_config(load_config("array4x4", ["network.max_payload_flits=1"]))
    with pytest.raises(ConfigError, match="128-bit instruction"):
        Geometry.from_config(load_config("array4x4", ["hbm.data_width=16"]))       # 64-bit bursts
    with pytest.raises(ConfigError, match="command_queue_depth"):
        Geometry.from_config(load_config("array4x4", ["soc.command_queue_depth=2", "hbm.data_width=128"]))
    # A single chip needs no packet to hold a row: it has no network.
    single = Geometry.from_config(load_config("array4x4", ["network.nodes=1", "network.max_payload_flits=1"]))
    assert not single.network and single.instructions_per_burst == 2


def test_gemm_that_overflows_hbm_is_a_compile_error():
    small = Geometry.from_config(load_config("soc-lite", ["hbm.rows=16", "hbm.columns=4"]))
    assert small.hbm_bursts == 128
    plan_gemm(small, 4, 2, 2)
    with pytest.raises(CompileError, match="needs .* HBM bursts .* HBM holds 128"):
        plan_gemm(small, 64, 8, 8)


def test_network_tops_need_a_network():
    from accel.rtl import build_component
    config = load_config("array4x4", ["network.nodes=1"])
    for top in ("net_node", "net_ring", "soc_ring"):
        with pytest.raises(ConfigError, match=f"top {top} needs a network"):
            build_component(config, top)
