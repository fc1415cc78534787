"""drc (sky130hd): accel's KLayout deck of the routing rules (accel.flow.checks.drc_deck) on the GDS."""

from __future__ import annotations

from pathlib import Path

from ..checks.drc_deck import rules, run_drc
from ..engine.step import FlowContext, Step


class KlayoutDrc(Step):
    name = "drc"
    tools = ("klayout-python",)
    version = "2"       # 2: a marker database of every violation beside drc.json
    description = "KLayout DRC: metal/via width, spacing, enclosure, area"
    consumes = ("gds:{top}.gds", "pdk:tech_lef")
    produces = ("drc.json",)
    pdk_fields = ("gds_layers", "cuts")

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        deck = rules(ctx.pdk.path("tech_lef").read_text(), tuple(ctx.pdk.gds_layers), ctx.pdk.cuts)
        violations = run_drc(ctx.output("gds", f"{ctx.top}.gds"), deck, ctx.pdk.gds_layers, work / "drc.json")
        lines = [f"{len(deck)} rules from {ctx.pdk.path('tech_lef').name}"]
        lines += [f"{v.rule} ({v.source}): {v.count}, first at {v.first}" for v in violations]
        if violations:
            lines.append(f"every marker: {work / 'drc.lyrdb'} (KLayout: load it in the marker browser over the GDS)")
        log.write_text("\n".join(lines) + "\n")
        return {"klayout__drc_errors": sum(v.count for v in violations),
                "klayout__drc_rules": len(deck),
                "klayout__drc_rules_violated": [v.rule for v in violations]}
