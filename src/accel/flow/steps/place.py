"""place: floorplan and placement with graywolf through qflow's placement.sh.

blif2cel.tcl makes graywolf's cell file, decongest.tcl pads it with fill cells to the configured
utilization, graywolf places with the configured aspect ratio, place2def.tcl writes DEF, addspacers.tcl
adds fill and the power stripes, arrangepins.tcl places the pins, blifanno.tcl carries the
placement-time buffering back into the netlists.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..step import FlowContext, Step, StepError
from ..qrouter_grid import def_die, loosen_fence, off_pitch_obstructions, size_pins, trim_stripes
from ..sky130 import stripe_clearances
from ..taps import TapError, fillcells_with_taps, insert_taps
from .qflow import make_project, run_stage


def def_units(text: str, source: Path) -> float:
    """DEF database units per micron."""
    units = re.search(r"UNITS\s+DISTANCE\s+MICRONS\s+(\d+)", text)
    if not units:
        raise ValueError(f"{source}: no UNITS DISTANCE MICRONS")
    return float(units.group(1))


def def_die_area(def_file: Path) -> tuple[float, float]:
    """(width, height) in um from a DEF's DIEAREA and UNITS."""
    text = def_file.read_text(errors="replace")
    scale = def_units(text, def_file)
    die = def_die(text)
    if not die:
        raise ValueError(f"{def_file}: no DIEAREA")
    x1, y1, x2, y2 = die
    return (x2 - x1) / scale, (y2 - y1) / scale


def write_par(ctx: FlowContext, path: Path) -> None:
    """graywolf's parameter file: the PDK's, with the configured aspect ratio and annealing effort."""
    text = (ctx.pdk.tech_dir / f"{ctx.pdk.qflow_tech}.par").read_text()
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
    #: 2: qrouter's script carries the PDK's coarse-layer fences; 3: trimmed stripes, router commands, and the
    #: edited DEF reaches the router (it started from qflow's unedited <top>_unroute.def before); 4: pins
    #: sized for a via, qflow's fence pulled back from them
    version = "4"
    templates = ("qflow/qflow_vars.sh", "qflow/project_vars.sh")
    description = "graywolf placement, power stripes, pins"

    def inputs(self, ctx):
        return [ctx.output("synth", f"synthesis/{ctx.top}.blif"), ctx.pdk.path("lef"),
                ctx.pdk.tech_dir / f"{ctx.pdk.qflow_tech}.par"]

    def config_slice(self, ctx):
        flow = ctx.config.flow
        return {"utilization": flow.density, "aspect_ratio": flow.aspect_ratio,
                "placement_speedup": flow.placement_speedup,
                "stripe_width_um": flow.stripe_width_um, "stripe_pitch_um": flow.stripe_pitch_um,
                "trim_stripes": ctx.pdk.trim_stripes, "router_commands": list(ctx.pdk.router_commands),
                "via_pin_layers": list(ctx.pdk.via_pin_layers)}

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        make_project(ctx, work, seed=ctx.step_dir("synth"))
        write_par(ctx, work / "layout" / f"{ctx.top}.par")
        run_stage(ctx, work, log, "placement.sh", "-d", str(work), ctx.top, stage_log="place.log", step=self.name)
        def_file = work / "layout" / f"{ctx.top}.def"
        if not def_file.exists():
            raise StepError(self.name, "placement produced no DEF", log)
        width, height = def_die_area(def_file)
        metrics = {"design__die__area": round(width * height, 2), "design__die__width": round(width, 2),
                   "design__die__height": round(height, 2)}
        if ctx.pdk.tap_cell:
            metrics.update(add_taps(ctx, def_file, log))
        metrics.update(prepare_router(ctx, work, def_file, log))
        # qflow's router.sh starts from <top>_unroute.def when there is one (copying it over <top>.def), so
        # the taps and trimmed stripes must be in that file too or the route silently drops them.
        unrouted = def_file.with_name(f"{ctx.top}_unroute.def")
        if unrouted.exists():
            shutil.copyfile(def_file, unrouted)
        return metrics


def prepare_router(ctx: FlowContext, work: Path, def_file: Path, log: Path) -> dict:
    """What the PDK asks of the placed DEF and qrouter's script before routing (accel.flow.qrouter_grid):
    narrower power stripes (trim_stripes), the die's pins grown to hold a via and qflow's fence pulled
    back from them (size_pins, loosen_fence), and obstructions on the grid lines off the coarse layers'
    tracks (off_pitch_obstructions) with the PDK's router commands, put into the script before it reads
    the DEF."""
    pdk = ctx.pdk
    text = def_file.read_text()
    units = def_units(text, def_file)
    metrics = {}
    clearances = stripe_clearances(pdk.path("tech_lef").read_text()) if pdk.trim_stripes or pdk.via_pin_layers \
        else {}
    if pdk.trim_stripes:
        text, trimmed = trim_stripes(text, units, clearances)
        metrics["place__stripe_shapes_trimmed"] = trimmed
    cfg = work / "layout" / f"{ctx.top}.cfg"
    script = cfg.read_text()
    if pdk.via_pin_layers:
        text, grown = size_pins(text, units, {layer: clearances[layer].pad_half for layer in pdk.via_pin_layers})
        script, loosened = loosen_fence(script, {layer: need.pad_half + need.spacing
                                                 for layer, need in clearances.items()})
        metrics["place__pins_grown"] = grown
        metrics["place__fence_strips_loosened"] = loosened
    def_file.write_text(text)
    fences = off_pitch_obstructions(text, units, list(pdk.fenced_layers)) if pdk.fenced_layers else []
    if pdk.fenced_layers:
        metrics["place__fenced_grid_lines"] = len(fences)
    lines = list(pdk.router_commands) + fences
    if lines:
        if "\nread_def" not in script:
            raise StepError("place", f"{cfg.name}: no read_def line to put the router commands before", log)
        script = script.replace("\nread_def", "\n" + "\n".join(lines) + "\nread_def", 1)
    cfg.write_text(script)
    return metrics


def add_taps(ctx: FlowContext, def_file: Path, log: Path) -> dict:
    """Turn fill cells of the placed DEF into well taps (accel.flow.taps)."""
    text = def_file.read_text()
    units = def_units(text, def_file)
    widths = {name: round(float(size) * units) for name, size in
              re.findall(r"^MACRO\s+(\S+).*?^\s*SIZE\s+([\d.]+)\s+BY", ctx.pdk.path("lef").read_text(), re.M | re.S)}
    pdk = ctx.pdk
    try:
        new, found = insert_taps(text, widths, site=widths[f"{pdk.fill_cell}1"], pitch=round(pdk.tap_pitch_um * units),
                                 tap_cell=pdk.tap_cell, fill_prefixes=(pdk.fill_cell, pdk.decap_cell or pdk.fill_cell),
                                 fill_cell=pdk.fill_cell)
    except TapError as exc:
        raise StepError("place", f"well taps: {exc}", log) from None
    def_file.write_text(new)
    fillcells = def_file.with_name("fillcells.txt")
    if fillcells.exists():
        fillcells.write_text(fillcells_with_taps(fillcells.read_text(), found["replaced"]))
    with open(log, "a") as handle:
        handle.write(f"\naccel: {found['taps']} well taps ({pdk.tap_cell}), every point of a row within "
                     f"{found['worst_distance'] / units:.2f} um of one\n")
    return {"place__taps": found["taps"], "place__tap_max_distance_um": round(found["worst_distance"] / units, 2)}
