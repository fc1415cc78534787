"""place: floorplan and placement with graywolf through qflow's placement.sh.

blif2cel.tcl makes graywolf's cell file, decongest.tcl pads it with fill cells to the configured
utilization, graywolf places with the configured aspect ratio, place2def.tcl writes DEF, addspacers.tcl
adds fill and the power stripes, arrangepins.tcl places the pins, blifanno.tcl carries the
placement-time buffering back into the netlists. What the PDK needs changed before routing is the
preroute step's.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError
from ..layout.lefdef import def_die_size
from ..qflow.project import make_project, run_stage


def write_par(ctx: FlowContext, path: Path) -> None:
    """graywolf's parameter file: the PDK's, with the configured aspect ratio and annealing effort."""
    text = ctx.pdk.path("par").read_text()
    flow = ctx.config.flow
    for key, value in (("TWMC*chip.aspect.ratio", f"{flow.aspect_ratio:g}"),
                       ("TWSC*fast", str(flow.placement_speedup) if flow.placement_speedup > 1 else None)):
        pattern = rf"^{re.escape(key)}\s*:.*$"
        text = re.sub(pattern + r"\n?", "", text, flags=re.M)
        if value is not None:
            text = text.rstrip("\n") + f"\n{key} : {value}\n"
    path.write_text(text)


class Place(Step):
    name = "place"
    tools = ("graywolf", "qflow")
    version = "5"       # 5: the edits before routing moved to the preroute step
    templates = ("qflow/qflow_vars.sh", "qflow/project_vars.sh")
    description = "graywolf placement, fill, power stripes, pins"
    consumes = ("synth:synthesis/{top}.blif", "pdk:lef", "pdk:par")
    produces = ("layout/{top}.def", "layout/{top}.cfg", "synthesis/{top}.blif")
    config_keys = ("flow.utilization", "flow.aspect_ratio", "flow.placement_speedup", "flow.stripe_width_um",
                   "flow.stripe_pitch_um")

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        make_project(ctx, work, seed=ctx.step_dir("synth"))
        write_par(ctx, work / "layout" / f"{ctx.top}.par")
        run_stage(ctx, work, log, "placement.sh", "-d", str(work), ctx.top, stage_log="place.log", step=self.name)
        def_file = work / "layout" / f"{ctx.top}.def"
        if not def_file.exists():
            raise StepError(self.name, "placement produced no DEF", log)
        width, height = def_die_size(def_file.read_text(errors="replace"))
        return {"design__die__area": round(width * height, 2), "design__die__width": round(width, 2),
                "design__die__height": round(height, 2)}
