"""The ``accel`` command line: configs, RTL generation, simulation, the physical flow (``accel build``),
export to OpenROAD-flow-scripts and PDK characterisation.

The commands import what they run when they run it (amaranth, numpy, cocotb, the flow), so ``accel --help``
and ``accel config`` start fast; none of those imports dodges a circle (tests/unit/test_import_graph.py).
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .arch.geometry import Geometry
from .config import ConfigError, bundled_configs, load_config
from .errors import LintError, SimulationError
from .flow import ORFS_PLATFORMS
from .flow.engine.step import StepError
from .flow.pdk.chain_check import inverter_chain_check
from .flow.pdk.characterize import CELLS, CharacterizeError, Characterizer, default_liberty
from .flow.report import print_summary
from .flow.steps import STEP_NAMES
from .paths import build_root
from .tools import ToolMissing
from .tops import TOPS

console = Console()
err_console = Console(stderr=True)

# Exit codes: 2 for a user error in config or arguments (like click's usage errors), 1 for a failed run.
EXIT_CONFIG = 2
EXIT_FAILED = 1

CONFIG_HELP = f"YAML config file or bundled config name ({', '.join(bundled_configs())}); default: default"
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                          help="override a config key, e.g. --set array.rows=8 (repeatable)")


def fail(message: str, code: int) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def user_errors(func):
    """Turn the toolkit's own error types into one line and an exit code, never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        except (ToolMissing, SimulationError, LintError, StepError) as exc:
            fail(str(exc), EXIT_FAILED)
    return wrapper


@click.group()
@click.version_option(package_name="accel")
def main():
    """accel: a systolic-array AI accelerator from a YAML config to verified RTL (Amaranth, cocotb) and a
    signed-off layout (GDS, DRC, LVS, timing) with open tools."""
    # A SIGTERM (a CI timeout, `kill`) exits through Python's cleanup like Ctrl-C does, so the tool
    # runners kill their process groups (graywolf, qrouter, lctime would otherwise keep running).
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


@main.group()
def config():
    """Inspect and check configs."""


@config.command("show")
@click.argument("config_file", required=False, metavar="[CONFIG]")
@set_option
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of YAML")
@user_errors
def config_show(config_file, overrides, as_json):
    """Print the resolved config: defaults filled in, overrides applied, and the values derived from
    presets and the PDK (HBM timing and burst length, flow.utilization, soc.requant_lanes); and its hash."""
    cfg = load_config(config_file, overrides)
    if as_json:
        click.echo(json.dumps({"config_hash": cfg.config_hash(), **cfg.resolved()}, indent=2))
    else:
        click.echo(f"# config hash: {cfg.config_hash()}")
        click.echo(cfg.to_yaml(resolved=True), nl=False)


@config.command("validate")
@click.argument("config_files", nargs=-1, required=True, metavar="CONFIG...")
@set_option
@user_errors
def config_validate(config_files, overrides):
    """Check configs; print one line per config, exit 2 at the first invalid one."""
    for spec in config_files:
        cfg = load_config(spec, overrides)
        click.echo(f"ok  {spec}  name={cfg.name}  hash={cfg.config_hash()}")


@main.command()
@click.argument("config_file", required=False, metavar="[CONFIG]")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="output directory (default: build/<name>-<hash>/rtl)")
@click.option("--top", type=click.Choice(list(TOPS)), default="core", show_default=True,
              help="block to generate")
@click.option("--lint/--no-lint", default=False, help="lint the Verilog with Verilator -Wall")
@set_option
@user_errors
def rtl(config_file, outdir, top, lint, overrides):
    """Generate Verilog and a manifest (top, ports, config hash) for CONFIG."""
    from . import rtl as rtl_mod           # amaranth: loaded by the commands that elaborate

    cfg = load_config(config_file, overrides)
    outdir = outdir or build_root() / f"{cfg.name}-{cfg.config_hash()}" / "rtl"
    result = rtl_mod.generate(cfg, outdir, top)
    click.echo(f"wrote {result.verilog} ({result.top}) and {result.manifest}")
    if lint:
        rtl_mod.lint(result)
        click.echo("lint: clean (verilator -Wall, documented waivers only)")


def parse_shape(ctx, param, value: str) -> tuple[int, int, int]:
    try:
        shape = tuple(int(v) for v in value.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"expected MxKxN with positive integers, got {value!r}")
    return shape


@main.command()
@click.argument("config_file", required=False, metavar="[CONFIG]")
@click.option("--gemm", "shape", default="16x16x16", show_default=True, callback=parse_shape,
              metavar="MxKxN", help="GEMM shape: A is MxK, W is KxN")
@click.option("--network", "packets", type=click.IntRange(1, 100000), metavar="PACKETS",
              help="instead of a GEMM: PACKETS random packets per node on a ring of network.nodes chips")
@click.option("--error-rate", type=click.FloatRange(0, 0.5), default=0.0, show_default=True,
              help="with --network: probability that a flit or control word has a bit flipped")
@click.option("--top", type=click.Choice(["soc", "core"]), default="soc", show_default=True,
              help="with --gemm: the whole SoC (compiled program through the CSR port) or the compute core alone")
@click.option("--simulator", type=click.Choice(["verilator", "icarus"]), default="verilator", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="random data seed")
@click.option("--waves", is_flag=True, help="record a waveform (VCD for Verilator, FST for Icarus)")
@set_option
@user_errors
def sim(config_file, shape, packets, error_rate, top, simulator, seed, waves, overrides):
    """Run one random int8 GEMM on the RTL of CONFIG and check it against numpy: by default compiled by
    accel.sw and run on the SoC (with --network: random traffic through a ring of network interfaces)."""

    source = click.get_current_context().get_parameter_source
    if packets is not None and source("shape") == click.core.ParameterSource.COMMANDLINE:
        fail("--gemm and --network: choose one workload", EXIT_CONFIG)
    if packets is None and error_rate:
        fail("--error-rate applies to --network traffic only", EXIT_CONFIG)
    cfg = load_config(config_file, overrides)
    if packets is not None:
        sim_network(cfg, packets, error_rate, simulator, seed, waves)
        return
    if top == "core":
        sim_core_gemm(cfg, shape, simulator, seed, waves)
    else:
        sim_soc_gemm(cfg, shape, simulator, seed, waves)


def sim_core_gemm(cfg, shape, simulator: str, seed: int, waves: bool) -> None:
    """``accel sim --top core``: the compute core alone, fed by the bench (the array's own utilization)."""
    from .sim import runner                # amaranth, cocotb: loaded by the commands that simulate

    with console.status(f"building {cfg.name} core for {simulator}..."):
        build = runner.build(cfg, "core", simulator, waves=waves)
    with console.status(f"simulating GEMM {'x'.join(map(str, shape))}..."):
        result = runner.run_gemm(build, shape, seed)
    table = figure_table(f"GEMM {'x'.join(map(str, shape))} on the {cfg.name} core "
                         f"({cfg.array.rows}x{cfg.array.cols}, {simulator})")
    table.add_row("result", "[green]matches numpy[/]")
    table.add_row("MACs", f"{result['macs']:,}")
    table.add_row("compute cycles", f"{result['compute_cycles']:,}")
    table.add_row("total cycles (incl. first load, read-back)", f"{result['total_cycles']:,}")
    table.add_row("MAC utilization (compute phase)", f"{result['utilization']:.1%}")
    print_run_table(table, result, build, "run_gemm")


def sim_soc_gemm(cfg, shape, simulator: str, seed: int, waves: bool) -> None:
    """``accel sim --gemm``: compile the GEMM, run it on the SoC through its CSR port, check, report."""
    from .sim import runner                # amaranth, cocotb: loaded by the commands that simulate
    from .sw.compiler import CompileError, check_driver_layout, plan_gemm     # numpy

    try:
        check_driver_layout(plan_gemm(Geometry.from_config(cfg), *shape))     # refuse before building
    except CompileError as exc:
        fail(f"--gemm {'x'.join(map(str, shape))}: {exc}", EXIT_CONFIG)
    with console.status(f"building the {cfg.name} SoC for {simulator} (minutes when not cached)..."):
        build = runner.build(cfg, "soc", simulator, waves=waves)
    with console.status(f"simulating GEMM {'x'.join(map(str, shape))}..."):
        r = runner.run_soc_gemm(build, shape, seed)
    c = r["counters"]
    table = figure_table(f"GEMM {'x'.join(map(str, shape))} on the {cfg.name} SoC "
                         f"({cfg.array.rows}x{cfg.array.cols}, {simulator})")
    width, acc = cfg.array.input_width, cfg.array.acc_width
    table.add_row("result", f"[green]matches numpy (int{width} in, int{acc} accumulate, requantized int{width} out)[/]")
    layout = "activations streamed with the weights" if r["streamed"] else "activations resident"
    table.add_row("program", f"{r['instructions']:,} instructions, row block {r['row_block']}, {layout}")
    table.add_row("cycles (first command word to interrupt)", f"{r['cycles']:,}")
    table.add_row("MAC utilization M*K*N / (R*C*cycles)", f"{r['utilization']:.1%}")
    table.add_row("array occupancy (incl. zero padding)", f"{r['array_utilization']:.1%}")
    for unit in ("load", "exec", "store", "net"):
        table.add_row(f"{unit} unit busy / waiting for tokens",
                      f"{c[f'{unit}_busy'] / r['cycles']:.1%} / {c[f'{unit}_wait'] / r['cycles']:.1%}")
    table.add_row("array stalled (vector waits for weights)", f"{c['array_stall']:,} cycles")
    table.add_row("HBM bursts read / written", f"{c['hbm_reads']:,} / {c['hbm_writes']:,}")
    print_run_table(table, r, build, "run_soc_gemm")


def print_run_table(table: Table, result: dict, build, testcase: str) -> None:
    """The rows every simulation table ends with (speed, build directory, waveform), then print it."""
    table.add_row("simulation speed", f"{result['cycles_per_second']:,.0f} cycles/s")
    table.add_row("build directory", str(build.directory))
    if build.waves:
        table.add_row("waveform", str(build.waves_file(testcase)))
    console.print(table)


def figure_table(title: str) -> Table:
    """A two-column (figure, value) table for a simulation's results."""
    table = Table(title=title, show_header=False)
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    return table


def sim_network(cfg, packets: int, error_rate: float, simulator: str, seed: int, waves: bool) -> None:
    """``accel sim --network``: all-to-all traffic on a ring built from CONFIG, scoreboarded in the bench."""
    from .sim import runner                # amaranth, cocotb: loaded by the commands that simulate

    with console.status(f"building a {cfg.network.nodes}-node ring of {cfg.name} for {simulator}..."):
        build = runner.build(cfg, "net_ring", simulator, waves=waves)
    with console.status(f"simulating {packets} packets per node..."):
        r = runner.run_bench(build, "accel.sim.bench_net", "run_traffic", {
            "ACCEL_NET_PACKETS": str(packets), "ACCEL_NET_ERROR_RATE": repr(error_rate), "ACCEL_SEED": str(seed)})
    c = r["counters"]
    table = figure_table(f"{r['nodes']}-node ring of {cfg.name}, {packets} packets per node, "
                         f"error rate {error_rate:g}")
    table.add_row("result", f"[green]{r['packets']:,} packets delivered exactly once, in order[/]")
    table.add_row("cycles", f"{r['cycles']:,}")
    table.add_row("payload flits per cycle (whole ring)", f"{r['payload_flits'] / r['cycles']:.2f}")
    table.add_row("latency (inject header -> eject last flit)",
                  f"mean {r['mean_latency']:.1f}, max {r['max_latency']} cycles")
    table.add_row("faults injected", f"{r['corrupted_flits']} flits, {r['corrupted_ctrl']} control words")
    for name in ("tx_packets", "tx_replays", "tx_naks", "tx_timeouts", "tx_credit_stalls", "rx_crc_errors",
                 "rx_dropped", "rx_framing_errors", "ctrl_errors"):
        table.add_row(name, f"{c[name]:,}")
    print_run_table(table, r, build, "run_traffic")


def split_names(ctx, param, values) -> tuple[str, ...]:
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


@main.command(help=f"RTL to GDS with open tools, one cached step per tool action ({', '.join(STEP_NAMES)}): "
                   "ends in a GDS, a layout picture, metrics.json and report.html, and fails when sign-off "
                   "(routing, DRC, LVS or connectivity, setup and hold timing) does not hold.")
@click.argument("config_file", required=False, metavar="[CONFIG]")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="build directory (default: build/<config name>)")
@click.option("--from", "start", metavar="STEP", help="start at STEP (earlier results must exist)")
@click.option("--to", "stop", metavar="STEP", help="stop after STEP")
@click.option("--only", multiple=True, callback=split_names, metavar="STEP[,STEP]", help="run only these steps")
@click.option("--force", is_flag=True, help="rerun the selected steps even if their cached results are valid")
@click.option("--allow", multiple=True, callback=split_names, metavar="CHECK[,CHECK]",
              help="downgrade sign-off checks to warnings: route, drc, lvs, timing, hold")
@set_option
@user_errors
def build(config_file, outdir, start, stop, only, force, allow, overrides):
    from .flow.build import CHECKS, run_flow, select_steps    # amaranth (elaborate): loaded when building

    cfg = load_config(config_file, overrides)
    try:
        select_steps(start, stop, only)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    for check in allow:
        if check not in CHECKS:
            raise click.BadParameter(f"unknown check {check!r} (checks: {', '.join(CHECKS)})")
    status = console.status("starting")
    started = {}

    def on_step(event, step, record):
        if event == "start":
            started[step.name] = time.perf_counter()
            status.update(f"[bold]{step.name}[/]: {step.description} ...")
        else:
            how = "cached" if record.get("cached") else f"{record.get('seconds', 0):.1f} s"
            console.print(f"  [green]done[/] {step.name:<11} {how}")

    with status:
        result = run_flow(cfg, outdir, start, stop, only, force, allow, on_step)
    print_summary(console, result.root, result)
    if result.failed_checks:
        fail("sign-off failed: " + "; ".join(result.failed_checks)
             + f" (report: {result.root / 'report.html'}; --allow CHECK to accept)", EXIT_FAILED)


@main.group()
def export():
    """Write the design for other flows."""


@export.command("orfs")
@click.argument("config_file", required=False, metavar="[CONFIG]")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="directory to write designs/ into (e.g. an ORFS flow/ directory)")
@click.option("--platform", default="sky130hd", show_default=True,
              type=click.Choice(ORFS_PLATFORMS),
              help="ORFS platform")
@set_option
@user_errors
def export_orfs_cmd(config_file, outdir, platform, overrides):
    """An OpenROAD-flow-scripts design (config.mk, constraint.sdc, Verilog) for CONFIG."""
    from .flow.orfs import export_orfs      # amaranth: loaded when exporting

    cfg = load_config(config_file, overrides)
    for path in export_orfs(cfg, outdir, platform):
        click.echo(f"wrote {path}")


@main.group()
def pdk():
    """Process design kits: make what a PDK package lacks."""


@pdk.command("characterize")
@click.option("-w", "--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("build/pdk/sky130hd"), show_default=True,
              help="per-cell results and logs (a rerun keeps the cells already done)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="merged Liberty file  [default: the one accel ships, src/accel/flow/pdks/sky130hd/]")
@click.option("--cells", default=None, metavar="A,B,...",
              help="only these cells (names like nand2_1); the merge needs them all")
@click.option("--force", is_flag=True, help="characterise again even if a cell's result is current")
@click.option("--no-merge", is_flag=True, help="only characterise, do not write the merged Liberty")
@click.option("--without", default=None, metavar="A,B,...",
              help="leave these cells out of the merged Liberty (named in its comment)")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="cells characterised at a time")
def pdk_characterize_cmd(workdir, output, cells, force, no_merge, jobs, without):
    """Characterise the sky130_fd_sc_hd cells accel uses (tt, 1.8 V, 25 C) with lctime and ngspice,
    cell by cell (resumable), and merge them into one Liberty file. Takes hours; see docs/flow.md."""

    def cell_names(option: str, value: str | None) -> list[str]:
        names = [name.strip() for name in (value or "").split(",") if name.strip()]
        unknown = sorted(set(names) - {cell.name for cell in CELLS})
        if unknown:
            fail(f"--{option}: not in the characterised set: {', '.join(unknown)} "
                 f"(known: {', '.join(cell.name for cell in CELLS)})", EXIT_CONFIG)
        return names

    names, left_out = cell_names("cells", cells), tuple(cell_names("without", without))
    chosen = [cell for cell in CELLS if (not names or cell.name in names) and cell.name not in left_out]
    try:
        runner = Characterizer(workdir)
        runner.characterize(chosen, report=lambda line: console.print(line, highlight=False), force=force,
                            jobs=jobs)
        if not no_merge:
            target = runner.merge(output or default_liberty(), without=left_out)
            console.print(f"wrote {target}")
    except CharacterizeError as exc:
        fail(str(exc), EXIT_FAILED)


@pdk.command("check")
@click.option("--liberty", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Liberty file to check  [default: the one accel ships]")
@click.option("-w", "--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("build/pdk/sky130hd/check"), show_default=True)
@click.option("--stages", type=click.IntRange(1, 101), default=9, show_default=True)
@click.option("--slew", "slew_ns", type=click.FloatRange(0.005, 2.0), default=0.1, show_default=True,
              help="input slew, ns (20-80 %)")
@click.option("--load", "load_pf", type=click.FloatRange(0.0, 1.0), default=0.01, show_default=True,
              help="load on the last inverter, pF")
def pdk_check_cmd(liberty, workdir, stages, slew_ns, load_pf):
    """Time an inverter chain with OpenSTA from the Liberty and simulate it with ngspice; fail when they
    differ by more than 10 %."""

    liberty = liberty or default_liberty()
    if not liberty.exists():
        fail(f"{liberty}: no characterised library yet (accel pdk characterize)", EXIT_FAILED)
    try:
        result = inverter_chain_check(liberty, workdir, stages=stages, slew_ns=slew_ns, load_pf=load_pf)
    except CharacterizeError as exc:
        fail(str(exc), EXIT_FAILED)
    console.print(result.table(), highlight=False)
    if max(abs(e) for e in result.errors) > 0.10:
        fail(f"OpenSTA and ngspice differ by more than 10 % (logs in {workdir})", EXIT_FAILED)


if __name__ == "__main__":
    main()
