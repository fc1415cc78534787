"""route: detailed routing with qrouter through qflow's router.sh.

qrouter can report "No failed routes" while an open remains, so routing is only trusted after LVS.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError
from ..layout.lefdef import def_die_size, def_wirelength
from ..qflow.project import make_project, private_scripts, run_stage
from .synth import count_cells


def skip_route_cleanup(script: str, cfg: Path, log: Path) -> str:
    """qrouter's script with ``standard_route``'s third argument (nocleanup) set: no stage 3."""
    script, count = re.subn(r"^(qrouter::standard_route\s+\S+\s+\S+)\s*$", r"\1 true", script, flags=re.M)
    if count != 1:
        raise StepError("route", f"{cfg.name}: no 'qrouter::standard_route FILE false' line to turn cleanup off",
                        log)
    return script


class Route(Step):
    name = "route"
    tools = ("qrouter", "qflow")
    templates = ("qflow/qflow_vars.sh", "qflow/project_vars.sh")
    description = "qrouter detailed routing"
    version = "2"       # 2: qflow's annotate.tcl fixed (fill cells written once into the SPICE netlist)
    consumes = ("preroute:layout/{top}.def", "preroute:layout/{top}.cfg", "preroute:synthesis/{top}.blif")
    produces = ("layout/{top}.def", "layout/{top}.rc", "synthesis/{top}.rtlnopwr.v", "synthesis/{top}.spc")
    config_keys = ("flow.route_cleanup",)

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        make_project(ctx, work, seed=ctx.step_dir("preroute"), scripts=private_scripts(work, log))
        if not ctx.config.flow.route_cleanup:
            cfg = work / "layout" / f"{ctx.top}.cfg"
            cfg.write_text(skip_route_cleanup(cfg.read_text(), cfg, log))
        text = run_stage(ctx, work, log, "router.sh", str(work), ctx.top, stage_log="route.log", step=self.name)
        failed = re.findall(r"Final:\s*Failed net routes:\s*(\d+)", text)
        unrouted = int(failed[-1]) if failed else 0
        if "Final: No failed routes" not in text and not failed:
            raise StepError(self.name, "qrouter did not report a routing result", log)
        def_file = work / "layout" / f"{ctx.top}.def"
        rc_file = work / "layout" / f"{ctx.top}.rc"
        if not (def_file.exists() and rc_file.exists()):
            raise StepError(self.name, "qrouter wrote no routed DEF / delay file", log)
        netlist = work / "synthesis" / f"{ctx.top}.rtlnopwr.v"
        cells, area, _ = count_cells(netlist, ctx.pdk.cell_areas, skip=(ctx.pdk.fill_cell,))
        text = def_file.read_text(errors="replace")
        width, height = def_die_size(text)
        return {
            "route__net__unrouted": unrouted,
            "route__wirelength": round(def_wirelength(text), 1),
            "design__instance__count": cells,
            "design__instance__area": round(area, 2),
            "design__instance__utilization": round(area / (width * height), 4) if width * height else None,
        }
