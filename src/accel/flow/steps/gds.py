"""gds: magic reads the routed DEF over the cell LEF, saves the layout and streams out GDS."""

from __future__ import annotations

import re
from pathlib import Path

from ..step import FlowContext, Step, StepError, render_template, run_tool


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
    description = "magic: DEF + LEF -> layout -> GDS"

    def inputs(self, ctx):
        return [ctx.output("route", f"layout/{ctx.top}.def"), ctx.pdk.path("lef"), ctx.pdk.path("magicrc")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        text = run_magic(ctx, work, log, "magic/gds.tcl", self.name,
                         **{"def": ctx.output("route", f"layout/{ctx.top}.def")})
        gds = work / f"{ctx.top}.gds"
        if not gds.exists() or gds.stat().st_size == 0:
            raise StepError(self.name, "magic wrote no GDS", log)
        if not (work / f"{ctx.top}.mag").exists():
            raise StepError(self.name, "magic saved no layout", log)
        warnings = [line for line in text.splitlines() if "DEF read" in line and "Warning" in line]
        fixed = re.search(r"ACCEL-MINAREA-FIXED\s+(\d+)", text)
        return {"gds__size_bytes": gds.stat().st_size, "gds__def_read_warnings": len(warnings),
                "gds__min_area_fixes": int(fixed.group(1)) if fixed else None}
