"""``accel build``: the ordered steps for the config's PDK, run with caching; metrics, sign-off, report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import AccelConfig
from ..paths import build_root
from ..rtl import TOPS, write_atomic
from .engine.step import STAMP, FlowContext, Step, select, tool_version
from .pdk import get_pdk
from .report import write_report
from .qflow.repairs import OPERATIONS
from .steps import ALL_STEPS, FLOW, KLAYOUT_STEPS, flow_for

#: Sign-off checks: name -> (metric or metrics, description). A check fails when the metric is "bad".
CHECKS = {
    "route": ("route__net__unrouted", "unrouted nets"),
    "drc": (("magic__drc_errors", "klayout__drc_errors"), "DRC errors"),
    "lvs": ("lvs__mismatches", "LVS mismatches"),
    "timing": ("timing__setup__ws", "setup slack (ns)"),
    "hold": ("timing__hold__ws", "hold slack (ns)"),
}


@dataclass
class BuildResult:
    root: Path
    metrics: dict
    steps: list[dict] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    allowed_checks: list[str] = field(default_factory=list)


def flow_root(config: AccelConfig, outdir: Path | None = None) -> Path:
    """``build/<name>``: one directory per config name, so a changed key reruns only what it affects."""
    return Path(outdir).resolve() if outdir else build_root() / config.name


def select_steps(start: str | None = None, stop: str | None = None, only: tuple[str, ...] = (),
                 flow: list[Step] | None = None) -> list[Step]:
    return select(FLOW if flow is None else flow, start, stop, only)


def make_context(config: AccelConfig, outdir: Path | None = None) -> FlowContext:
    root = flow_root(config, outdir)
    pdk = get_pdk(config.flow.pdk, root)
    block = config.flow.top
    steps_tools = sorted({tool for step in flow_for(pdk) for tool in step.tools})
    return FlowContext(config=config, pdk=pdk, top=TOPS[block], block=block, root=root,
                       timeout=float(config.flow.step_timeout_s),
                       tool_versions={tool: tool_version(tool) for tool in steps_tools})


def run_flow(config: AccelConfig, outdir: Path | None = None, start: str | None = None, stop: str | None = None,
             only: tuple[str, ...] = (), force: bool = False, allow: tuple[str, ...] = (),
             on_step: Callable[[str, Step, dict | None], None] | None = None) -> BuildResult:
    """Run the selected steps in order, then collect metrics and enforce sign-off."""
    ctx = make_context(config, outdir)
    steps = select_steps(start, stop, only, flow_for(ctx.pdk))
    for step in steps:
        step.check_tools()  # a missing tool is reported before anything runs
    ctx.root.mkdir(parents=True, exist_ok=True)
    records = []
    for step in steps:
        if on_step:
            on_step("start", step, None)
        record = step.run(ctx, force=force)
        records.append(record)
        if on_step:
            on_step("done", step, record)
    metrics = collect_metrics(ctx)
    write_atomic(ctx.root / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    result = BuildResult(ctx.root, metrics, records)
    result.failed_checks, result.allowed_checks = signoff(metrics, allow)
    write_report(ctx, result)
    return result


def collect_metrics(ctx: FlowContext) -> dict:
    """Every valid step stamp's metrics, runtimes and tool versions, METRICS2.1-style names."""
    metrics: dict = {
        "design__name": ctx.top, "design__block": ctx.block, "config__name": ctx.config.name,
        "config__hash": ctx.config.config_hash(), "pdk__name": ctx.pdk.name,
        "clock__period": ctx.config.clock.period_ns, "pdk__caveat": ctx.pdk.caveat,
        "pdk__corner": ctx.pdk.corner, "pdk__liberty": ctx.pdk.liberty_origin,
    }
    total = 0.0
    for step in flow_for(ctx.pdk):
        stamp_path = ctx.step_dir(step.name) / STAMP
        if not stamp_path.exists():
            continue
        stamp = json.loads(stamp_path.read_text())
        metrics.update(stamp.get("metrics", {}))
        metrics[f"flow__step__{step.name}__runtime"] = stamp.get("seconds")
        total += stamp.get("seconds") or 0.0
        for tool, version in stamp.get("tools", {}).items():
            metrics[f"flow__tool__{tool}__version"] = version
    metrics["flow__runtime__total"] = round(total, 2)
    if metrics.get("timing__setup__ws") is None and metrics.get("timing__setup__ws__synth") is not None:
        metrics["timing__setup__ws__source"] = "pre-route"
    return metrics


def signoff(metrics: dict, allow: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(failed checks, failed-but-allowed checks). Checks whose step did not run are skipped."""
    failed, allowed = [], []
    for check, (names, what) in CHECKS.items():
        names = (names,) if isinstance(names, str) else names
        value = next((metrics[name] for name in names if metrics.get(name) is not None), None)
        if value is None:
            continue
        bad = value < 0 if check in ("timing", "hold") else value > 0
        if bad:
            (allowed if check in allow else failed).append(f"{check}: {what} = {value}")
    return failed, allowed


def step_table() -> str:
    """docs/flow.md's table of steps, from the steps' own declarations (tests/unit/test_docs.py keeps the
    doc equal to it): what each reads, the config keys and PDK fields in its cache key, its operations."""
    rows = ["| step | does | reads | writes | config keys | PDK fields | operations |",
            "|---|---|---|---|---|---|---|"]
    for step in ALL_STEPS:
        reads = ", ".join(f"`{spec}`" for spec in step.consumes) or ("the hardware sources"
                                                                    if step.name == "elaborate" else "")
        pdk = "sky130hd: " if step.name in KLAYOUT_STEPS and KLAYOUT_STEPS[step.name] is step else ""
        writes = ", ".join(f"`{path}`" for path in step.produces)
        rows.append(f"| {step.name} | {pdk}{step.description} | {reads} | {writes} | "
                    f"{', '.join(f'`{key}`' for key in step.config_keys)} | "
                    f"{', '.join(f'`{name}`' for name in step.pdk_fields)} | "
                    f"{', '.join(f'`{op.name}`' for op in step.operations)} |")
    return "\n".join(rows) + "\n"


def operation_table() -> str:
    """docs/flow.md's table of the named layout operations (qflow/repairs.py), in the order they run."""
    rows = ["| operation (`flow.repairs.*`) | step | PDK | what it does |", "|---|---|---|---|"]
    rows += [f"| `{op.name}` | {op.step} | {', '.join(op.pdks)} | {op.summary} |" for op in OPERATIONS]
    return "\n".join(rows) + "\n"
