"""lvs: magic extracts the routed layout, netgen compares it with the synthesized netlist.

The comparison is at cell level (netgen -blackbox): every cell instance and every net of the layout
must match the netlist. The OSU cells' layouts are LEF abstracts here, so there are no transistors to
compare inside them; what can break in placement and routing (opens, shorts, swapped pins) is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..checks.netgen import count_mismatches
from ..engine.step import FlowContext, Step, StepError, run_tool
from .drc import copy_layout
from .gds import run_magic


class Lvs(Step):
    name = "lvs"
    tools = ("magic", "netgen-lvs")
    templates = ("magic/extract.tcl",)
    description = "magic extraction + netgen LVS"

    consumes = ("gds:{top}.mag", "route:synthesis/{top}.spc", "pdk:netgen_setup")
    produces = ("comp.json",)

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        copy_layout(ctx, work)
        run_magic(ctx, work, log, "magic/extract.tcl", self.name)
        layout = work / f"{ctx.top}.spice"
        if not layout.exists():
            raise StepError(self.name, "magic extracted no netlist", log)
        schematic = ctx.output("route", f"synthesis/{ctx.top}.spc")
        text = run_tool(["netgen-lvs", "-batch", "lvs", f"{layout} {ctx.top}", f"{schematic} {ctx.top}",
                         str(ctx.pdk.path("netgen_setup")), str(work / "comp.out"), "-json", "-blackbox"],
                        log, cwd=work, timeout=ctx.timeout, step=self.name)
        comp_json = work / "comp.json"
        if not comp_json.exists():
            raise StepError(self.name, "netgen wrote no comparison report", log)
        mismatches = count_mismatches(comp_json)
        unique = "Circuits match uniquely" in text or "Netlists match uniquely" in text
        if not unique:
            mismatches = max(mismatches, 1)  # netgen says no match even where the JSON counts none
        devices = re.search(r"Circuit 1 contains (\d+) devices", text)
        return {"lvs__mismatches": mismatches, "lvs__match": mismatches == 0,
                "lvs__devices": int(devices.group(1)) if devices else None}
