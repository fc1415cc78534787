"""Helpers for steps that run qflow's stage scripts (synthesize.sh, placement.sh, router.sh).

qflow's scripts expect a project directory (qflow_vars.sh, project_vars.sh, source/, synthesis/,
layout/, log/). Each step builds one inside its own work directory, seeded with copies of the earlier
step's results, so steps never write into each other's directories.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..step import FlowContext, StepError, render_template, run_tool

SCRIPTS = Path("/usr/lib/qflow/scripts")
BIN = Path("/usr/lib/qflow/bin")


def make_project(ctx: FlowContext, work: Path, seed: Path | None = None) -> None:
    """Lay out a qflow project in ``work``, copying source/synthesis/layout from ``seed`` if given."""
    for sub in ("source", "synthesis", "layout", "log"):
        src = seed / sub if seed else None
        if src is not None and src.is_dir():
            shutil.copytree(src, work / sub)
        else:
            (work / sub).mkdir(exist_ok=True)
    (work / "qflow_vars.sh").write_text(render_template(
        "qflow/qflow_vars.sh", project=work, techdir=ctx.pdk.tech_dir, techname=ctx.pdk.qflow_tech,
        scriptdir=SCRIPTS, bindir=BIN))
    flow = ctx.config.flow
    (work / "project_vars.sh").write_text(render_template(
        "qflow/project_vars.sh", yosys_script=work / "source" / "synth.ys",
        max_latency_ps=flow.fanout_latency_ps, output_load_ff=flow.fanout_load_ff, density=flow.density,
        stripe_width_um=flow.stripe_width_um, stripe_pitch_um=flow.stripe_pitch_um))


def run_stage(ctx: FlowContext, work: Path, log: Path, script: str, *args: str, stage_log: str,
              step: str) -> str:
    """Run one qflow stage script; qflow often exits 0 on failure, so read its own log too."""
    try:
        run_tool([str(SCRIPTS / script), *args], log, cwd=work, timeout=ctx.timeout, step=step)
    finally:
        own = work / "log" / stage_log
        if own.exists():
            with open(log, "a") as handle:
                handle.write(f"\n---- qflow {stage_log} ----\n{own.read_text(errors='replace')}")
    text = log.read_text(errors="replace")
    for marker in ("flow stopped due to error condition", "flow stopped on error condition", "Premature exit"):
        if marker in text:
            raise StepError(step, f"qflow {script} stopped: {marker}", log)
    return text
