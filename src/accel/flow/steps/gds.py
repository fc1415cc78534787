"""gds (osu018): the routed DEF's pin-access repairs, then magic: DEF + LEF -> layout -> GDS.

The DEF is first read back in Python and repaired where qrouter left a pin badly reached
(:mod:`accel.flow.qflow.def_repair`; operations ``via_moves`` and ``pin_vias``); magic then grows via pads
below the minimum area (``min_area_pads``). What was repaired and what was left is written to ``repairs.txt``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError, render_template, run_tool
from ..qflow.def_repair import repair
from ..qflow.repairs import MAGIC_GDS_OPERATIONS


def run_magic(ctx: FlowContext, work: Path, log: Path, script_template: str, step: str, **values) -> str:
    """Run a magic batch script (no graphics) with the PDK's technology setup."""
    script = work / Path(script_template).name
    script.write_text(render_template(script_template, lef=ctx.pdk.path("lef"), top=ctx.top, **values))
    return run_tool(["magic", "-dnull", "-noconsole", "-rcfile", str(ctx.pdk.path("magicrc")), str(script)],
                    log, cwd=work, timeout=ctx.timeout, step=step)


class Gds(Step):
    name = "gds"
    tools = ("magic",)
    templates = ("magic/gds.tcl",)
    description = "DEF pin-access repairs, then magic: DEF + LEF -> layout -> GDS"
    version = "3"       # 3: the repairs are named operations with their own switches
    consumes = ("route:layout/{top}.def", "pdk:lef", "pdk:magicrc")
    produces = ("{top}.gds", "{top}.mag", "{top}.def", "repairs.txt")
    operations = MAGIC_GDS_OPERATIONS

    def repaired_def(self, ctx: FlowContext, work: Path, log: Path) -> tuple[Path, dict]:
        """The routed DEF with qrouter's pin-access defects repaired, in ``work``; and the metrics."""
        routed = ctx.output("route", f"layout/{ctx.top}.def")
        try:
            text, report = repair(routed.read_text(), ctx.pdk.path("lef").read_text(),
                                  add_pin_vias=self.runs(ctx, "pin_vias"), move_vias=self.runs(ctx, "via_moves"))
        except (ValueError, KeyError, StopIteration) as exc:
            raise StepError(self.name, f"cannot read the routed DEF {routed.name} back for repair: {exc}",
                            log) from None
        out = work / f"{ctx.top}.def"
        out.write_text(text)
        lines = [f"{kind}: {item}" for kind, items in (("pin via added", report.pin_vias),
                                                       ("via moved", report.moved_vias),
                                                       ("open left", report.opens),
                                                       ("crowded via left", report.crowded)) for item in items]
        (work / "repairs.txt").write_text("".join(line + "\n" for line in lines))
        with open(log, "a") as handle:
            handle.write(f"def repair: {len(report.pin_vias)} pin vias added, {len(report.moved_vias)} vias "
                         f"moved, {len(report.opens)} opens and {len(report.crowded)} crowded vias left "
                         f"(repairs.txt)\n")
        metrics = {"route__check__opens": len(report.opens), "route__check__crowded_vias": len(report.crowded)}
        if self.runs(ctx, "pin_vias"):
            metrics["repair__pin_vias__count"] = len(report.pin_vias)
        if self.runs(ctx, "via_moves"):
            metrics["repair__via_moves__count"] = len(report.moved_vias)
        return out, metrics

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        def_file, metrics = self.repaired_def(ctx, work, log)
        text = run_magic(ctx, work, log, "magic/gds.tcl", self.name, min_area_pads=int(self.runs(ctx, "min_area_pads")),
                         **{"def": def_file})
        gds = work / f"{ctx.top}.gds"
        if not gds.exists() or gds.stat().st_size == 0:
            raise StepError(self.name, "magic wrote no GDS", log)
        if not (work / f"{ctx.top}.mag").exists():
            raise StepError(self.name, "magic saved no layout", log)
        warnings = [line for line in text.splitlines() if "DEF read" in line and "Warning" in line]
        fixed = re.search(r"ACCEL-MINAREA-FIXED\s+(\d+)", text)
        if self.runs(ctx, "min_area_pads"):
            metrics["repair__min_area_pads__count"] = int(fixed.group(1)) if fixed else None
        return {**metrics, "gds__size_bytes": gds.stat().st_size, "gds__def_read_warnings": len(warnings)}
