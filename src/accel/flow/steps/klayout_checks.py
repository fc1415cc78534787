"""gds, drc and lvs for PDKs with real cell layouts (sky130hd), with KLayout's Python module.

There is no magic technology file or netgen setup for sky130 here, so these three take the place of the
magic/netgen steps under the same names: the GDS streams in SkyWater's cell layouts (accel.flow.sky130),
DRC runs accel's deck of the routing rules (accel.flow.klayout_drc), and the LVS step is the
connectivity check of the layout against the gate netlist (accel.flow.connectivity).
"""

from __future__ import annotations

from pathlib import Path

from ..connectivity import check as check_connectivity
from ..klayout_drc import rules, run_drc
from ..sky130 import def_to_gds
from ..step import FlowContext, Step, StepError


class KlayoutGds(Step):
    name = "gds"
    tools = ("klayout-python",)
    version = "4"       # 3: via pads turned, same-net gaps bridged; 4: islands grown, notches closed
    description = "KLayout: routed DEF + cell GDS -> GDS (real cell layouts), via pads turned, gaps and notches filled"

    def inputs(self, ctx):
        return [ctx.output("route", f"layout/{ctx.top}.def"), ctx.pdk.path("lef"), ctx.pdk.path("tech_lef")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        gds = work / f"{ctx.top}.gds"
        try:
            repairs = def_to_gds(ctx.output("route", f"layout/{ctx.top}.def"), ctx.pdk.tech_dir, gds)
        except (OSError, RuntimeError) as exc:
            log.write_text(f"{exc}\n")
            raise StepError(self.name, f"KLayout could not write the GDS: {exc}", log) from None
        log.write_text(f"wrote {gds.name} ({gds.stat().st_size} bytes) with the cell layouts of the sky130 package, "
                       f"{repairs['via_pads_turned']} via pads turned, {repairs['same_net_bridges']} same-net gaps "
                       f"bridged, {repairs['min_area_growths']} islands grown to the minimum area, "
                       f"{repairs['notch_fills']} notches filled\n")
        return {"gds__size_bytes": gds.stat().st_size, "gds__via_pads_turned": repairs["via_pads_turned"],
                "gds__same_net_bridges": repairs["same_net_bridges"],
                "gds__min_area_growths": repairs["min_area_growths"], "gds__notch_fills": repairs["notch_fills"]}


class KlayoutDrc(Step):
    name = "drc"
    tools = ("klayout-python",)
    version = "2"       # 2: a marker database of every violation beside drc.json
    description = "KLayout DRC: metal/via width, spacing, enclosure, area"

    def inputs(self, ctx):
        return [ctx.output("gds", f"{ctx.top}.gds"), ctx.pdk.path("tech_lef")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        deck = rules(ctx.pdk.path("tech_lef").read_text())
        violations = run_drc(ctx.output("gds", f"{ctx.top}.gds"), deck, work / "drc.json")
        lines = [f"{len(deck)} rules from {ctx.pdk.path('tech_lef').name}"]
        lines += [f"{v.rule} ({v.source}): {v.count}, first at {v.first}" for v in violations]
        if violations:
            lines.append(f"every marker: {work / 'drc.lyrdb'} (KLayout: load it in the marker browser over the GDS)")
        log.write_text("\n".join(lines) + "\n")
        return {"klayout__drc_errors": sum(v.count for v in violations),
                "klayout__drc_rules": len(deck),
                "klayout__drc_rules_violated": [v.rule for v in violations]}


class Connectivity(Step):
    name = "lvs"
    tools = ("klayout-python",)
    version = "1"
    description = "KLayout connectivity check of the layout against the netlist"

    def inputs(self, ctx):
        return [ctx.output("gds", f"{ctx.top}.gds"), ctx.output("route", f"layout/{ctx.top}.def"),
                ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v"), ctx.pdk.path("lef")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        result = check_connectivity(
            ctx.output("gds", f"{ctx.top}.gds"), ctx.output("route", f"layout/{ctx.top}.def"),
            ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v"), ctx.pdk.path("lef"),
            ctx.pdk.power, ctx.pdk.ground, work / "connectivity.json")
        log.write_text("\n".join([result.summary(), *result.opens[:50], *result.shorts[:50]]) + "\n")
        mismatches = len(result.opens) + len(result.shorts)
        return {"lvs__mismatches": mismatches, "lvs__match": mismatches == 0, "lvs__method": "connectivity",
                "connectivity__nets": result.nets, "connectivity__pins": result.pins,
                "connectivity__opens": len(result.opens), "connectivity__shorts": len(result.shorts)}
