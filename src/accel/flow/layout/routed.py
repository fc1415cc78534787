"""The geometry of a routed DEF: every piece of metal by layer in a spatial hash, each tagged with its net.

Built from the readers of :mod:`accel.flow.layout.lefdef` (LEF layers, vias and macros; DEF components,
nets and special nets); the pin-access repair of qrouter's output (accel.flow.qflow.def_repair) asks it
which pins are cut off their net and which via pads crowd another net.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .lefdef import (Net, def_components, def_units, def_vias, lef_layers, lef_macros, lef_vias,
                     parse_nets, special_wires)

Rect = tuple[int, int, int, int]
BUCKET = 400                       # spatial-hash cell, DEF units
# DEF orientation -> (mirror x about the cell's vertical axis, mirror y about its horizontal axis)
ORIENTATIONS = {"N": (False, False), "S": (True, True), "FN": (True, False), "FS": (False, True)}


@dataclass
class Tech:
    """What the repairs need from the LEF, in DEF units."""

    units: int
    layers: list[str]                                  # routing layers, bottom up
    half_width: dict[str, int]
    spacing: dict[str, int]
    vias: dict[str, dict[str, Rect]]                   # via name -> layer -> pad (relative to the centre)
    macros: dict = field(default_factory=dict)         # cell -> lefdef.Macro (um)

    def via_between(self, lower: str, upper: str) -> str | None:
        return next((name for name, pads in self.vias.items() if set(pads) == {lower, upper}), None)

    def via_pads(self, via: str, x: int, y: int) -> dict[str, Rect]:
        """Layer -> pad of via ``via`` placed at (x, y)."""
        return {layer: (x + a, y + b, x + c, y + d) for layer, (a, b, c, d) in self.vias[via].items()}


def read_tech(lef_text: str, units: int) -> Tech:
    """Routing layers (width, minimum spacing), vias (bounding pad per layer) and macros of a LEF."""
    layers = [layer for layer in lef_layers(lef_text).values() if layer.type == "ROUTING"]
    half = {layer.name: round(layer.width * units / 2) for layer in layers}
    spacing = {layer.name: round(layer.spacing * units) for layer in layers}
    vias = {}
    for name, shapes in lef_vias(lef_text).items():
        pads = {}
        for layer, rects in shapes.items():
            if layer not in half:
                continue
            for rect in rects:
                r = tuple(round(v * units) for v in rect)
                old = pads.get(layer, r)          # several rectangles on a layer: their bounding box
                pads[layer] = (min(old[0], r[0]), min(old[1], r[1]), max(old[2], r[2]), max(old[3], r[3]))
        vias[name] = pads
    return Tech(units, [layer.name for layer in layers], half, spacing, vias, lef_macros(lef_text))


def place(rect, width: float, height: float, x: int, y: int, orient: str, units: int) -> Rect:
    """A LEF macro rectangle (um) moved to a DEF placement (units) with orientation N, S, FN or FS."""
    if orient not in ORIENTATIONS:
        raise ValueError(f"DEF orientation {orient} is not supported (N, S, FN, FS)")
    flip_x, flip_y = ORIENTATIONS[orient]
    x1, y1, x2, y2 = rect
    if flip_x:
        x1, x2 = width - x2, width - x1
    if flip_y:
        y1, y2 = height - y2, height - y1
    return (x + round(x1 * units), y + round(y1 * units), x + round(x2 * units), y + round(y2 * units))


def overlaps(a: Rect, b: Rect) -> bool:
    """Touching or overlapping (abutting metal connects)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def too_close(a: Rect, b: Rect, spacing: int) -> bool:
    """Closer than ``spacing`` on both axes' projections (touching counts as a short)."""
    return a[0] - b[2] < spacing and b[0] - a[2] < spacing and a[1] - b[3] < spacing and b[1] - a[3] < spacing



class Layout:
    """Every piece of metal of a routed DEF, by layer in a spatial hash, each tagged with its net."""

    def __init__(self, def_text: str, lef_text: str):
        self.tech = tech = read_tech(lef_text, def_units(def_text))
        tech.vias = {**def_vias(def_text), **tech.vias}
        self.lines = def_text.split("\n")
        self.nets, _, _ = parse_nets(self.lines)
        self.grid: dict[tuple[str, int, int], list[tuple[Rect, str | None, object]]] = defaultdict(list)
        self.pin_net = {(inst, pin): net.name for net in self.nets for inst, pin in net.pins}
        self.placed = {c.name: (c.cell, c.x, c.y, c.orient) for c in def_components(def_text)}
        for name, (cell, x, y, orient) in self.placed.items():
            self._add_cell(name, cell, x, y, orient)
        for net in self.nets:
            for path in net.paths:
                for layer, rect in path.shapes(tech):
                    self.add(layer, rect, net.name, path)
        self._add_special(def_text)

    def _add_cell(self, name, cell, x, y, orient):
        shapes = self.tech.macros.get(cell)
        if shapes is None:
            return
        for kind, owner_of in ((shapes.pins, lambda pin: self.pin_net.get((name, pin), f"{name}/{pin}")),
                               (shapes.power, lambda pin: pin)):
            for pin, layers in kind.items():
                for layer, rects in layers.items():
                    for rect in rects:
                        if layer in self.tech.half_width:
                            self.add(layer, place(rect, shapes.width, shapes.height, x, y, orient, self.tech.units),
                                     owner_of(pin), (name, pin))
        for layer, rects in shapes.obs.items():
            for rect in rects:
                if layer in self.tech.half_width:
                    self.add(layer, place(rect, shapes.width, shapes.height, x, y, orient, self.tech.units),
                             None, (name, "OBS"))

    def _add_special(self, def_text: str):
        """Power stripes, their via stacks and qrouter's pin stubs (SPECIALNETS: explicit width, no end
        extension along the wire)."""
        for wire in special_wires(def_text):
            if wire.layer not in self.tech.half_width:
                continue
            h = wire.width // 2
            pts = wire.points if len(wire.points) > 1 else wire.points * 2
            for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                if (x1, y1) == (x2, y2) and wire.via:
                    continue
                ext_x, ext_y = (h, 0) if x1 == x2 and y1 != y2 else (0, h) if y1 == y2 and x1 != x2 else (h, h)
                self.add(wire.layer, (min(x1, x2) - ext_x, min(y1, y2) - ext_y, max(x1, x2) + ext_x,
                                      max(y1, y2) + ext_y), wire.net, None)
            if wire.via in self.tech.vias:
                for via_layer, pad in self.tech.via_pads(wire.via, *wire.points[-1]).items():
                    self.add(via_layer, pad, wire.net, None)

    def add(self, layer: str, rect: Rect, net: str | None, source) -> None:
        for key in self._keys(layer, rect):
            self.grid[key].append((rect, net, source))

    def remove(self, layer: str, rect: Rect, source) -> None:
        for key in self._keys(layer, rect):
            self.grid[key] = [item for item in self.grid[key] if not (item[0] == rect and item[2] is source)]

    @staticmethod
    def _keys(layer: str, rect: Rect, margin: int = 0):
        for bx in range((rect[0] - margin) // BUCKET, (rect[2] + margin) // BUCKET + 1):
            for by in range((rect[1] - margin) // BUCKET, (rect[3] + margin) // BUCKET + 1):
                yield (layer, bx, by)

    def near(self, layer: str, rect: Rect, margin: int):
        seen = set()
        for key in self._keys(layer, rect, margin):
            for item in self.grid.get(key, ()):
                if id(item) not in seen:
                    seen.add(id(item))
                    yield item

    def foreign_conflicts(self, layer: str, rect: Rect, net: str) -> list:
        """Metal of other nets (or cell obstructions) on ``layer`` closer than the spacing to ``rect``."""
        space = self.tech.spacing[layer]
        return [item for item in self.near(layer, rect, space)
                if item[1] != net and too_close(rect, item[0], space)]

    # ---- connectivity -------------------------------------------------------------------------------
    def pin_rects(self, inst: str, pin: str) -> list[tuple[str, Rect]]:
        cell, x, y, orient = self.placed[inst]
        shapes = self.tech.macros[cell]
        return [(layer, place(rect, shapes.width, shapes.height, x, y, orient, self.tech.units))
                for layer, rects in shapes.pins.get(pin, {}).items() if layer in self.tech.half_width
                for rect in rects]

    def open_pins(self, net: Net) -> list[tuple[str, str]]:
        """Pins of ``net`` not joined to the group holding most of its pins, through its own metal."""
        nodes: list[list[tuple[str, Rect]]] = [self.pin_rects(inst, pin) for inst, pin in net.pins
                                               if inst in self.placed]
        pins = len(nodes)
        nodes += [path.shapes(self.tech) for path in net.paths]
        parent = list(range(len(nodes)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        by_layer = defaultdict(list)
        for index, shapes in enumerate(nodes):
            for layer, rect in shapes:
                by_layer[layer].append((rect, index))
        for items in by_layer.values():
            items.sort()
            for a in range(len(items)):
                ra, ia = items[a]
                for b in range(a + 1, len(items)):
                    rb, ib = items[b]
                    if rb[0] > ra[2]:
                        break
                    if overlaps(ra, rb):
                        parent[find(ia)] = find(ib)
        groups, metal = defaultdict(list), defaultdict(int)
        for index in range(len(nodes)):
            if index < pins:
                groups[find(index)].append(index)
            else:
                metal[find(index)] += 1
        if len(groups) <= 1:
            return []
        # The net is the group with the most pins; on a tie, the one with the most of the net's wiring.
        keep = groups[max(groups, key=lambda root: (len(groups[root]), metal[root]))]
        placed = [pin for pin in net.pins if pin[0] in self.placed]
        return [placed[i] for i in range(pins) if i not in keep]


