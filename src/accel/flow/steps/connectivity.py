"""lvs (sky130hd): the KLayout connectivity check of the layout against the gate netlist
(accel.flow.checks.connectivity), in place of magic + netgen, which have no sky130 setup here."""

from __future__ import annotations

from pathlib import Path

from ..checks.connectivity import check
from ..engine.step import FlowContext, Step


class Connectivity(Step):
    name = "lvs"
    tools = ("klayout-python",)
    version = "1"
    description = "KLayout connectivity check of the layout against the netlist"
    consumes = ("gds:{top}.gds", "route:layout/{top}.def", "route:synthesis/{top}.rtlnopwr.v", "pdk:lef")
    produces = ("connectivity.json",)
    pdk_fields = ("power", "ground", "gds_layers", "wiring_stack")

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        gds, def_file, netlist, lef = (self.input(ctx, spec) for spec in self.consumes)
        result = check(gds, def_file, netlist, lef, ctx.pdk.power, ctx.pdk.ground, ctx.pdk.gds_layers,
                       ctx.pdk.wiring_stack, work / "connectivity.json")
        log.write_text("\n".join([result.summary(), *result.opens[:50], *result.shorts[:50]]) + "\n")
        mismatches = len(result.opens) + len(result.shorts)
        return {"lvs__mismatches": mismatches, "lvs__match": mismatches == 0, "lvs__method": "connectivity",
                "connectivity__nets": result.nets, "connectivity__pins": result.pins,
                "connectivity__opens": len(result.opens), "connectivity__shorts": len(result.shorts)}
