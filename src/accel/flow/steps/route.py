"""route: detailed routing with qrouter through qflow's router.sh.

qrouter can report "No failed routes" while an open remains, so routing is only trusted after LVS.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..step import FlowContext, Step, StepError
from .place import def_die_area, def_units
from .qflow import make_project, private_scripts, run_stage
from .synth import count_cells


def def_wirelength(def_file: Path) -> float:
    """Total routed wire length (um) from the NETS section of a DEF (sum of segment lengths)."""
    text = def_file.read_text(errors="replace")
    units = def_units(text, def_file)
    nets = text[text.find("\nNETS"):]
    total = 0
    for path in re.finditer(r"(?:ROUTED|NEW)\s+\w+((?:\s*\(\s*[-\d*]+\s+[-\d*]+(?:\s+[-\d*]+)?\s*\)|\s+\w+)*)", nets):
        points = re.findall(r"\(\s*([-\d*]+)\s+([-\d*]+)", path.group(1))
        x = y = None
        for px, py in points:
            nx = x if px == "*" else int(px)
            ny = y if py == "*" else int(py)
            if x is not None:
                total += abs(nx - x) + abs(ny - y)
            x, y = nx, ny
    return total / units


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

    def inputs(self, ctx):
        return [ctx.output("place", f"layout/{ctx.top}.def"), ctx.output("place", f"layout/{ctx.top}.cfg"),
                ctx.output("place", f"synthesis/{ctx.top}.blif")]

    def config_slice(self, ctx):
        return {"route_cleanup": ctx.config.flow.route_cleanup}

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        make_project(ctx, work, seed=ctx.step_dir("place"), scripts=private_scripts(work, log))
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
        width, height = def_die_area(def_file)
        return {
            "route__net__unrouted": unrouted,
            "route__wirelength": round(def_wirelength(def_file), 1),
            "design__instance__count": cells,
            "design__instance__area": round(area, 2),
            "design__instance__utilization": round(area / (width * height), 4) if width * height else None,
        }
