"""A KLayout DRC deck for sky130 routing: what placement and routing can break.

Rules, for li1, met1..met5 and the cuts between them: minimum width, minimum spacing, minimum area of
each routing layer; width, spacing and enclosure (by the layer below and above) of each cut. The values
are read from the technology LEF of the sky130 package (``sky130_fd_sc_hd__nom.tlef``), whose comments name
the SkyWater design rule each value implements (``# Met1 2``, ``# Via 4a``); :func:`rules` keeps that name
as the rule's source, so a report says which SkyWater rule failed. Simplifications, stated so nobody
mistakes this for sign-off DRC: wide-metal spacing (``Met1 3b``: 0.28 um next to wires wider than 3 um)
is not checked, and an enclosure rule with two values (0.055 on one pair of sides, 0.085 on the other)
is checked with the smaller value on all sides. The GDS layer numbers are SkyWater's layer map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..layout.lefdef import lef_layers


@dataclass(frozen=True)
class Rule:
    layer: str
    kind: str               # width, spacing, area, enclosure
    value: float            # um (area: um^2)
    source: str             # SkyWater rule name from the LEF comment
    other: str = ""         # enclosure: the enclosing layer

    @property
    def name(self) -> str:
        return f"{self.layer}.{self.kind}" + (f".{self.other}" if self.other else "")


def rules(tech_lef: str, layers: tuple[str, ...], cuts: dict[str, tuple[str, str]]) -> list[Rule]:
    """The deck for ``layers`` (metals and the ``cuts`` between them: cut -> (below, above)), from the
    technology LEF (see the module text)."""
    found: list[Rule] = []
    for layer in lef_layers(tech_lef).values():
        if layer.name not in layers:
            continue
        source = layer.sources
        if layer.width is not None:
            found.append(Rule(layer.name, "width", layer.width, source["width"]))
        if layer.name in cuts:
            below, above = cuts[layer.name]
            if layer.spacing is not None:
                found.append(Rule(layer.name, "spacing", layer.spacing, source["spacing"]))
            if layer.enclosure_below:
                found.append(Rule(layer.name, "enclosure", min(layer.enclosure_below), source["enclosure_below"], below))
            if layer.enclosure_above:
                found.append(Rule(layer.name, "enclosure", min(layer.enclosure_above), source["enclosure_above"], above))
        else:
            if layer.spacing_table:
                found.append(Rule(layer.name, "spacing", layer.spacing, source["spacing"]))
            if layer.area is not None:
                found.append(Rule(layer.name, "area", layer.area, source["area"]))
    # An enclosure of 0 (mcon by li1) is no rule.
    return [r for r in found if not (r.kind == "enclosure" and r.value == 0)]


@dataclass(frozen=True)
class Violation:
    rule: str
    source: str
    count: int
    first: str              # where the first one is, um


def run_drc(gds: Path, deck: list[Rule], gds_layers: dict[str, tuple[int, int]],
            report: Path | None = None) -> list[Violation]:
    """Check the top cell of ``gds`` against ``deck``; write ``report`` (JSON) if given, and beside it a
    KLayout marker database (``.lyrdb``, every violation, one category per rule: open it over the GDS in
    KLayout's marker browser).

    Hierarchical ("deep") regions: each cell layout is checked once, then the routing around the
    instances. Flat merged regions made the rows' power rails into polygons so large that the li1
    spacing check of a placed PE ran for more than ten minutes; deep mode checks it in seconds."""
    import klayout.db as kdb     # heavy optional modules: only the KLayout checks need them
    import klayout.rdb as krdb

    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cell()
    dbu = layout.dbu
    store = kdb.DeepShapeStore()

    def region(name: str):
        index = layout.find_layer(*gds_layers[name])
        if index is None:
            return kdb.Region()
        return kdb.Region(top.begin_shapes_rec(index), store)

    regions = {name: region(name) for name in gds_layers}
    markers = krdb.ReportDatabase("accel DRC")
    markers.top_cell_name = top.name
    marker_cell = markers.create_cell(top.name)
    to_dbu = lambda um: int(round(um / dbu))            # noqa: E731
    violations = []
    for rule in deck:
        shapes = regions[rule.layer]
        if rule.kind == "width":
            errors = shapes.width_check(to_dbu(rule.value))
        elif rule.kind == "spacing":
            errors = shapes.space_check(to_dbu(rule.value))
        elif rule.kind == "area":
            errors = shapes.with_area(0, int(rule.value / dbu / dbu), False)
        else:   # enclosure: every cut inside the other layer by at least the value
            outer = regions[rule.other]
            errors = list(outer.enclosing_check(shapes, to_dbu(rule.value)).flatten().each()) + \
                list((shapes - outer).flatten().each())
        items = list(errors.flatten().each()) if hasattr(errors, "flatten") else errors
        if items:
            category = markers.create_category(rule.name)
            category.description = f"{rule.source}: {rule.kind} {rule.value:g}"
            to_um = kdb.CplxTrans(dbu)
            for item in items:
                markers.create_item(marker_cell.rdb_id(), category.rdb_id()).add_value(item.transformed(to_um))
            box = items[0].bbox()
            violations.append(Violation(rule.name, rule.source, len(items),
                                        f"({box.left * dbu:.3f}, {box.bottom * dbu:.3f})"))
    if report is not None:
        markers.save(str(report.with_suffix(".lyrdb")))
        report.write_text(json.dumps({"gds": str(gds), "top": top.name,
                                      "rules": [r.__dict__ | {"name": r.name} for r in deck],
                                      "violations": [v.__dict__ for v in violations]}, indent=1))
    return violations
