"""preroute: the named operations on the placed DEF and qrouter's script that the PDK needs before routing
(accel.flow.qflow.repairs.PLACE_OPERATIONS): well taps, trimmed stripes, pins sized for a via, qflow's
fence pulled back from them, obstructions off the coarse layers' tracks; then the PDK's router commands.

Its own step so that changing one of them reruns this and the route, not graywolf.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError
from ..layout.lefdef import def_units, macro_widths
from ..qflow.repairs import PLACE_OPERATIONS
from ..qflow.router_grid import loosen_fence, off_pitch_obstructions, size_pins, stripe_clearances, trim_stripes
from ..qflow.taps import TapError, fillcells_with_taps, insert_taps


class Preroute(Step):
    name = "preroute"
    description = "well taps, stripe trimming, pin sizing, fence loosening, off-pitch fences"
    consumes = ("place:layout/{top}.def", "place:layout/{top}.cfg", "pdk:lef")
    produces = ("layout/{top}.def", "layout/{top}.cfg", "synthesis/{top}.blif")
    pdk_fields = ("tap_cell", "tap_pitch_um", "fill_cell", "decap_cell", "trim_stripes", "via_pin_layers",
                  "fenced_layers", "router_commands", "router_layers")
    operations = PLACE_OPERATIONS

    def extra_inputs(self, ctx):
        return [ctx.pdk.path("tech_lef")] if ctx.pdk.tech_lef else []

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        for sub in ("source", "synthesis", "layout", "log"):
            if (ctx.step_dir("place") / sub).is_dir():
                shutil.copytree(ctx.step_dir("place") / sub, work / sub)
        pdk = ctx.pdk
        def_file = work / "layout" / f"{ctx.top}.def"
        cfg = work / "layout" / f"{ctx.top}.cfg"
        text, script = def_file.read_text(), cfg.read_text()
        units = def_units(text)
        metrics: dict = {}
        if self.runs(ctx, "well_taps"):
            text, metrics["repair__well_taps__count"], distance = self.taps(ctx, text, units, work, log)
            metrics["repair__well_taps__max_distance_um"] = distance
        clearances = stripe_clearances(pdk.path("tech_lef").read_text(), pdk.router_layers) if pdk.tech_lef else {}
        if self.runs(ctx, "stripe_trim"):
            text, metrics["repair__stripe_trim__count"] = trim_stripes(text, units, clearances)
        if self.runs(ctx, "pin_sizing"):
            text, metrics["repair__pin_sizing__count"] = size_pins(
                text, units, {layer: clearances[layer].pad_half for layer in pdk.via_pin_layers})
        if self.runs(ctx, "fence_loosening"):
            script, metrics["repair__fence_loosening__count"] = loosen_fence(
                script, {layer: need.pad_half + need.spacing for layer, need in clearances.items()})
        fences = []
        if self.runs(ctx, "off_pitch_fences"):
            fences = off_pitch_obstructions(text, units, list(pdk.fenced_layers))
            metrics["repair__off_pitch_fences__count"] = len(fences)
        lines = list(pdk.router_commands) + fences
        if lines:
            if "\nread_def" not in script:
                raise StepError(self.name, f"{cfg.name}: no read_def line to put the router commands before", log)
            script = script.replace("\nread_def", "\n" + "\n".join(lines) + "\nread_def", 1)
        def_file.write_text(text)
        cfg.write_text(script)
        # qflow's router.sh starts from <top>_unroute.def when there is one (copying it over <top>.def), so
        # the edits must be in that file too or the route silently drops them.
        unrouted = def_file.with_name(f"{ctx.top}_unroute.def")
        if unrouted.exists():
            shutil.copyfile(def_file, unrouted)
        with open(log, "a") as handle:
            handle.writelines(f"{name}: {value}\n" for name, value in metrics.items())
        return metrics

    def taps(self, ctx: FlowContext, text: str, units: int, work: Path, log: Path) -> tuple[str, int, float]:
        """Fill cells of the placed DEF turned into well taps (accel.flow.qflow.taps)."""
        pdk = ctx.pdk
        widths = {name: round(size * units) for name, size in macro_widths(pdk.path("lef").read_text()).items()}
        try:
            new, found = insert_taps(text, widths, site=widths[f"{pdk.fill_cell}1"],
                                     pitch=round(pdk.tap_pitch_um * units), tap_cell=pdk.tap_cell,
                                     fill_prefixes=(pdk.fill_cell, pdk.decap_cell or pdk.fill_cell),
                                     fill_cell=pdk.fill_cell)
        except TapError as exc:
            raise StepError(self.name, f"well taps: {exc}", log) from None
        fillcells = work / "layout" / "fillcells.txt"
        if fillcells.exists():
            fillcells.write_text(fillcells_with_taps(fillcells.read_text(), found["replaced"]))
        with open(log, "a") as handle:
            handle.write(f"accel: {found['taps']} well taps ({pdk.tap_cell}), every point of a row within "
                         f"{found['worst_distance'] / units:.2f} um of one\n")
        return new, found["taps"], round(found["worst_distance"] / units, 2)
