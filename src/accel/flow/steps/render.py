"""render: KLayout draws the GDS to a PNG for the report."""

from __future__ import annotations

import re
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError, run_tool, template


class Render(Step):
    name = "render"
    tools = ("klayout",)
    templates = ("klayout/render.py",)
    description = "KLayout: GDS -> PNG"

    consumes = ("gds:{top}.gds",)
    produces = ("{top}.png",)

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        png = work / f"{ctx.top}.png"
        text = run_tool(["klayout", "-zz", "-r", str(template("klayout/render.py")),
                         "-rd", f"gds={ctx.output('gds', f'{ctx.top}.gds')}", "-rd", f"png={png}",
                         "-rd", "width=1600"], log, cwd=work, timeout=ctx.timeout, step=self.name)
        match = re.search(r"ACCEL-RENDER top=(\S+)", text)
        if not png.exists() or not match:
            raise StepError(self.name, "KLayout wrote no picture", log)
        if match.group(1) != ctx.top:
            raise StepError(self.name, f"GDS top cell is {match.group(1)}, expected {ctx.top}", log)
        return {"render__top_cell": match.group(1)}
