"""Helpers for steps that run qflow's stage scripts (synthesize.sh, placement.sh, router.sh).

qflow's scripts expect a project directory (qflow_vars.sh, project_vars.sh, source/, synthesis/,
layout/, log/). Each step builds one inside its own work directory, seeded with copies of the earlier
step's results, so steps never write into each other's directories.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..engine.step import FlowContext, StepError, render_template, run_tool

SCRIPTS = Path("/usr/lib/qflow/scripts")
BIN = Path("/usr/lib/qflow/bin")


#: qflow's annotate.tcl (run by router.sh to add the fill cells to the netlists) looks for the end of the
#: SPICE subcircuit with the unanchored ``[ \t]*.ends``: every instance line with a net whose name contains
#: "ends" (the SoC has ``ends[0..7]``) also matches, and all fill cells are written again after each such
#: line. On soc-lite that is 138 copies of 160k fill cells, a 750 MB netlist and an LVS that cannot match.
ANNOTATE_FIXES = ((r"regexp -nocase {[ \t]*.ends}", r"regexp -nocase {^[ \t]*\.ends}"),
                  (r"regexp -nocase {[ \t]*X([^ \t]+)[ \t]+}", r"regexp -nocase {^[ \t]*X([^ \t]+)[ \t]+}"))


def fixed_annotate(text: str, log: Path) -> str:
    """annotate.tcl with its SPICE line patterns anchored at the start of the line."""
    for old, new in ANNOTATE_FIXES:
        if text.count(old) != 1:
            raise StepError("route", f"qflow's annotate.tcl has changed: no single {old!r} to anchor", log)
        text = text.replace(old, new)
    return text


def private_scripts(work: Path, log: Path) -> Path:
    """A copy of qflow's script directory for router.sh: links to the originals, a fixed annotate.tcl."""
    scripts = work / "qflow_scripts"
    scripts.mkdir(exist_ok=True)
    for script in SCRIPTS.iterdir():
        target = scripts / script.name
        if script.name == "annotate.tcl":
            target.write_text(fixed_annotate(script.read_text(), log))
            target.chmod(0o755)
        elif not target.exists():
            target.symlink_to(script)
    return scripts


def make_project(ctx: FlowContext, work: Path, seed: Path | None = None, scripts: Path = SCRIPTS) -> None:
    """Lay out a qflow project in ``work``, copying source/synthesis/layout from ``seed`` if given;
    ``scripts`` is the directory qflow's stage scripts call their helpers from."""
    for sub in ("source", "synthesis", "layout", "log"):
        src = seed / sub if seed else None
        if src is not None and src.is_dir():
            shutil.copytree(src, work / sub)
        else:
            (work / sub).mkdir(exist_ok=True)
    (work / "qflow_vars.sh").write_text(render_template(
        "qflow/qflow_vars.sh", project=work, techdir=ctx.pdk.tech_dir, techname=ctx.pdk.qflow_tech,
        scriptdir=scripts, bindir=BIN))
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
