"""gds: magic reads the routed DEF over the cell LEF, saves the layout and streams out GDS.

The DEF is first read back in Python and repaired where qrouter left a pin badly reached
(:mod:`accel.flow.def_repair`): a missing via onto a pin (an open) or a via pad crowding a neighbour
(a spacing error). What was repaired and what was left is written to ``repairs.txt``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..def_repair import repair
from ..step import FlowContext, Step, StepError, render_template, run_tool


def run_magic(ctx: FlowContext, work: Path, log: Path, script_template: str, step: str, **values) -> str:
    """Run a magic batch script (no graphics) with the PDK's technology setup."""
    script = work / Path(script_template).name
    script.write_text(render_template(script_template, lef=ctx.pdk.path("lef"), top=ctx.top, **values))
    return run_tool(["magic", "-dnull", "-noconsole", "-rcfile", str(ctx.pdk.path("magicrc")), str(script)],
                    log, cwd=work, timeout=ctx.timeout, step=step)


def repaired_def(ctx: FlowContext, work: Path, log: Path) -> tuple[Path, dict]:
    """The routed DEF with qrouter's pin-access defects repaired, in ``work``; and the repair metrics."""
    routed = ctx.output("route", f"layout/{ctx.top}.def")
    try:
        text, report = repair(routed.read_text(), ctx.pdk.path("lef").read_text())
    except (ValueError, KeyError, StopIteration) as exc:
        raise StepError("gds", f"cannot read the routed DEF {routed.name} back for repair: {exc}", log) from None
    out = work / f"{ctx.top}.def"
    out.write_text(text)
    lines = [f"{kind}: {item}" for kind, items in (("pin via added", report.pin_vias),
                                                   ("via moved", report.moved_vias),
                                                   ("open left", report.opens),
                                                   ("crowded via left", report.crowded)) for item in items]
    (work / "repairs.txt").write_text("".join(line + "\n" for line in lines))
    with open(log, "a") as handle:
        handle.write(f"def repair: {len(report.pin_vias)} pin vias added, {len(report.moved_vias)} vias moved, "
                     f"{len(report.opens)} opens and {len(report.crowded)} crowded vias left (repairs.txt)\n")
    return out, {"route__repair__pin_vias": len(report.pin_vias), "route__repair__moved_vias": len(report.moved_vias),
                 "route__check__opens": len(report.opens), "route__check__crowded_vias": len(report.crowded)}


class Gds(Step):
    name = "gds"
    tools = ("magic",)
    templates = ("magic/gds.tcl",)
    description = "DEF repair, then magic: DEF + LEF -> layout -> GDS"
    version = "2"       # 2: pin-access repairs of the routed DEF (accel.flow.def_repair)

    def inputs(self, ctx):
        return [ctx.output("route", f"layout/{ctx.top}.def"), ctx.pdk.path("lef"), ctx.pdk.path("magicrc")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        def_file, repairs = repaired_def(ctx, work, log)
        text = run_magic(ctx, work, log, "magic/gds.tcl", self.name, **{"def": def_file})
        gds = work / f"{ctx.top}.gds"
        if not gds.exists() or gds.stat().st_size == 0:
            raise StepError(self.name, "magic wrote no GDS", log)
        if not (work / f"{ctx.top}.mag").exists():
            raise StepError(self.name, "magic saved no layout", log)
        warnings = [line for line in text.splitlines() if "DEF read" in line and "Warning" in line]
        fixed = re.search(r"ACCEL-MINAREA-FIXED\s+(\d+)", text)
        return {**repairs, "gds__size_bytes": gds.stat().st_size, "gds__def_read_warnings": len(warnings),
                "gds__min_area_fixes": int(fixed.group(1)) if fixed else None}
