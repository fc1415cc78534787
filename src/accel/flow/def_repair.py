"""Pin-access repairs of a routed DEF: the two ways qrouter 1.4 leaves a cell pin badly reached.

Found on soc-lite's routed layout (33k nets; docs/flow.md), both at off-grid pin taps after stage-2 rip-up:

1. **Missing pin via (an open).** The net arrives on metal2 right above a metal1 pin, but the M2_M1 via
   that joins them is not written (the via went one track aside). LVS sees the pin cut off its net:
   3 opens, 47 netgen mismatches on soc-lite.
2. **Crowded via (a DRC error).** The via at the end of a metal1 stub from an off-grid pin has a 0.4 um
   pad, wider than the 0.3 um wire qrouter checks, and the pad lands within spacing of another pin of
   the same cell (1 magic error on soc-lite).

This module reads the routed geometry back: every net's wires and vias (widths and via pads from the
LEF), every cell's pins and obstructions placed and oriented, the special nets. It finds opens (a pin
not connected to the rest of its net) and via pads closer than the layer spacing to another net's metal,
and repairs each with the smallest edit that the same geometry then checks: a via dropped onto the pin
where the net already passes above it, or the stub re-drawn (an L-shaped metal1 path from the same pin
point) to a via spot on the net's own upper-layer wire that is clear of the neighbour. Edits are only
kept when the net's pins are all still connected and no new spacing error appears; anything left is
reported, and the magic DRC and netgen LVS after it stay the sign-off.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import product

from .connectivity import ORIENTATIONS, def_placements
from .pin_access import macro_shapes

Rect = tuple[int, int, int, int]
BUCKET = 400                       # spatial-hash cell, DEF units
TOKEN = re.compile(r"\(|\)|[^\s()]+")


@dataclass
class Tech:
    """What the repairs need from the LEF, in DEF units."""

    units: int
    layers: list[str]                                  # routing layers, bottom up
    half_width: dict[str, int]
    spacing: dict[str, int]
    vias: dict[str, dict[str, Rect]]                   # via name -> layer -> pad (relative to the centre)
    macros: dict = field(default_factory=dict)         # cell -> MacroShapes (um)

    def via_between(self, lower: str, upper: str) -> str | None:
        return next((name for name, pads in self.vias.items() if set(pads) == {lower, upper}), None)


def read_tech(lef_text: str, units: int) -> Tech:
    """Routing layers (WIDTH, SPACING), default vias and macros of a LEF whose cut layers sit between."""
    layers, half, spacing = [], {}, {}
    for match in re.finditer(r"^LAYER\s+(\S+)(.*?)^END\s+\1", lef_text, re.M | re.S):
        body = match.group(2)
        if re.search(r"TYPE\s+ROUTING", body):
            name = match.group(1)
            layers.append(name)
            half[name] = round(float(re.search(r"\bWIDTH\s+([\d.]+)", body).group(1)) * units / 2)
            spacing[name] = round(float(re.search(r"\bSPACING\s+([\d.]+)", body).group(1)) * units)
    vias = {}
    for match in re.finditer(r"^VIA\s+(\S+)(.*?)^END\s+\1", lef_text, re.M | re.S):
        pads, layer = {}, None
        for line in match.group(2).splitlines():
            found = re.match(r"\s*LAYER\s+(\S+)", line)
            if found:
                layer = found.group(1)
            rect = re.match(r"\s*RECT\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", line)
            if rect and layer in half:
                r = tuple(round(float(v) * units) for v in rect.groups())
                old = pads.get(layer, r)          # several rectangles on a layer: their bounding box
                pads[layer] = (min(old[0], r[0]), min(old[1], r[1]), max(old[2], r[2]), max(old[3], r[3]))
        vias[match.group(1)] = pads
    macros = {m.group(1): macro_shapes(m.group(0))
              for m in re.finditer(r"^MACRO\s+(\S+).*?^END\s+\1", lef_text, re.M | re.S)}
    return Tech(units, layers, half, spacing, vias, macros)


def def_vias(def_text: str) -> dict[str, dict[str, Rect]]:
    """The VIAS section's via definitions (layer -> bounding pad)."""
    start = def_text.find("\nVIAS")
    if start < 0:
        return {}
    vias = {}
    for block in def_text[start:def_text.find("END VIAS", start)].split("\n- ")[1:]:
        pads: dict[str, Rect] = {}
        for layer, *xy in re.findall(r"RECT\s+(\S+)\s+\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)", block):
            r = tuple(int(v) for v in xy)
            old = pads.get(layer, r)
            pads[layer] = (min(old[0], r[0]), min(old[1], r[1]), max(old[2], r[2]), max(old[3], r[3]))
        vias[block.split()[0]] = pads
    return vias


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


def via_pads(tech: Tech, via: str, x: int, y: int) -> dict[str, Rect]:
    """Layer -> pad of via ``via`` placed at (x, y)."""
    return {layer: (x + a, y + b, x + c, y + d) for layer, (a, b, c, d) in tech.vias[via].items()}


def overlaps(a: Rect, b: Rect) -> bool:
    """Touching or overlapping (abutting metal connects)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def too_close(a: Rect, b: Rect, spacing: int) -> bool:
    """Closer than ``spacing`` on both axes' projections (touching counts as a short)."""
    return a[0] - b[2] < spacing and b[0] - a[2] < spacing and a[1] - b[3] < spacing and b[1] - a[3] < spacing


@dataclass
class Statement:
    """One ``ROUTED``/``NEW`` path of a regular net: its layer, points, and the via at its end (if any)."""

    layer: str
    points: list[tuple[int, int]]
    via: str | None
    line: int                      # index into the DEF's lines, where the statement starts

    def shapes(self, tech: Tech) -> list[tuple[str, Rect]]:
        """(layer, rectangle) of each wire segment (ends extended by half the width, as DEF says) and of
        each pad of the via. A lone point with no via is a square of the wire's width."""
        h = tech.half_width[self.layer]
        out = []
        pts = self.points if len(self.points) > 1 or self.via else self.points * 2
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            out.append((self.layer, (min(x1, x2) - h, min(y1, y2) - h, max(x1, x2) + h, max(y1, y2) + h)))
        if self.via:
            out += via_pads(tech, self.via, *self.points[-1]).items()
        return out


def parse_path(tokens: list[str], line: int) -> Statement:
    """A DEF path (``metal1 ( x y ) ( * y2 ) VIA``) from its tokens; ``*`` repeats the last coordinate.
    Only a via at the end is understood (qrouter writes nothing else)."""
    layer, points, via, x, y, i = tokens[0], [], None, None, None, 1
    while i < len(tokens):
        if tokens[i] == "(":
            if via is not None:
                raise ValueError(f"line {line + 1}: a path that goes on after its via ({via}) is not supported")
            x = x if tokens[i + 1] == "*" else int(tokens[i + 1])
            y = y if tokens[i + 2] == "*" else int(tokens[i + 2])
            points.append((x, y))
            i = tokens.index(")", i) + 1
        else:
            via = tokens[i]
            i += 1
    return Statement(layer, points, via, line)


@dataclass
class Net:
    name: str
    pins: list[tuple[str, str]]
    paths: list[Statement]


def parse_nets(lines: list[str]) -> tuple[list[Net], int, int]:
    """Regular nets of a routed DEF: pins and route statements (with the line each starts on)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("NETS "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("END NETS"))
    nets, net = [], None
    for i in range(start + 1, end):
        line = lines[i].strip()
        if line.startswith("- "):
            net = Net(line[2:].split()[0], [], [])
            nets.append(net)
            continue
        if line.startswith("(") and net is not None:
            net.pins += [(inst, pin) for inst, pin in re.findall(r"\(\s*(\S+)\s+(\S+)\s*\)", line) if inst != "PIN"]
        found = re.match(r"(?:\+\s*ROUTED|NEW)\s+(.*?)\s*;?\s*$", line)
        if found and net is not None:
            net.paths.append(parse_path(TOKEN.findall(found.group(1)), i))
    return nets, start, end


class Layout:
    """Every piece of metal of a routed DEF, by layer in a spatial hash, each tagged with its net."""

    def __init__(self, def_text: str, lef_text: str):
        units, placements = def_placements(def_text)
        self.tech = tech = read_tech(lef_text, int(units))
        tech.vias = {**def_vias(def_text), **tech.vias}
        self.lines = def_text.split("\n")
        self.nets, _, _ = parse_nets(self.lines)
        self.grid: dict[tuple[str, int, int], list[tuple[Rect, str | None, object]]] = defaultdict(list)
        self.pin_net = {(inst, pin): net.name for net in self.nets for inst, pin in net.pins}
        self.placed = {name: (cell, round(x * units), round(y * units), orient)
                       for name, (cell, x, y, orient) in placements.items()}
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
        start = def_text.find("\nSPECIALNETS")
        if start < 0:
            return
        section = def_text[start:def_text.find("END SPECIALNETS", start)]
        for block in section.split("\n- ")[1:]:
            name = block.split()[0]
            for layer, width, rest in re.findall(r"(?:ROUTED|FIXED|COVER|SHIELD|NEW)\s+(\w+)\s+(\d+)\s+([^\n;]*)",
                                                 block):
                if layer not in self.tech.half_width:
                    continue
                h = int(width) // 2
                path = parse_path([layer, *TOKEN.findall(rest.split("+")[0])], -1)
                pts = path.points if len(path.points) > 1 else path.points * 2
                for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                    if (x1, y1) == (x2, y2) and path.via:
                        continue
                    ext_x, ext_y = (h, 0) if x1 == x2 and y1 != y2 else (0, h) if y1 == y2 and x1 != x2 else (h, h)
                    self.add(layer, (min(x1, x2) - ext_x, min(y1, y2) - ext_y, max(x1, x2) + ext_x,
                                     max(y1, y2) + ext_y), name, None)
                if path.via in self.tech.vias:
                    for via_layer, pad in via_pads(self.tech, path.via, *path.points[-1]).items():
                        self.add(via_layer, pad, name, None)

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


@dataclass
class RepairReport:
    pin_vias: list[str] = field(default_factory=list)          # "net: inst/pin"
    moved_vias: list[str] = field(default_factory=list)
    opens: list[str] = field(default_factory=list)             # left after the repairs
    crowded: list[str] = field(default_factory=list)


def _net_shapes_on(net: Net, layer: str, tech: Tech, skip=None) -> list[Rect]:
    return [rect for path in net.paths if path is not skip for lay, rect in path.shapes(tech) if lay == layer]


def _try_pin_via(layout: Layout, net: Net, inst: str, pin: str) -> Statement | None:
    """A via onto the pin where the net's upper-layer metal already passes right above it."""
    tech = layout.tech
    for pin_layer, pin_rect in layout.pin_rects(inst, pin):
        upper = tech.layers[tech.layers.index(pin_layer) + 1]
        via = tech.via_between(pin_layer, upper)
        if via is None:
            continue
        spots = {point for path in net.paths for point in path.points
                 if path.layer == upper or (path.via and upper in tech.vias.get(path.via, {}))}
        for x, y in sorted(spots):
            if not (pin_rect[0] <= x <= pin_rect[2] and pin_rect[1] <= y <= pin_rect[3]):
                continue
            candidate = Statement(pin_layer, [(x, y)], via, -1)
            if all(not layout.foreign_conflicts(layer, rect, net.name) for layer, rect in candidate.shapes(tech)):
                return candidate
    return None


def _crowded_vias(layout: Layout, net: Net) -> list[Statement]:
    """The route statements of ``net`` whose via pads come within spacing of another net's metal."""
    tech = layout.tech
    crowded = []
    for path in net.paths:
        if path.via and any(layout.foreign_conflicts(layer, pad, net.name)
                            for layer, pad in via_pads(tech, path.via, *path.points[-1]).items()):
            crowded.append(path)
    return crowded


def _try_moved_via(layout: Layout, net: Net, path: Statement, step: int) -> Statement | None:
    """The stub ``path`` (a lower-layer wire from a pin point ending in a via) re-drawn to a via spot on
    the net's own upper-layer metal near it, along an L-shaped path clear of other nets."""
    tech = layout.tech
    if len(path.points) < 2 or path.layer not in tech.vias.get(path.via, {}):
        return None
    upper = next(layer for layer in tech.vias[path.via] if layer != path.layer)
    own_upper = _net_shapes_on(net, upper, tech, skip=path)
    start, (vx, vy) = path.points[0], path.points[-1]
    # Spots on the grid (``step``) within 4 grid steps, nearest first: magic would round anything finer.
    gx, gy = (vx + step // 2) // step, (vy + step // 2) // step
    spots = sorted((((gx + dx) * step, (gy + dy) * step)
                    for dx, dy in product(range(-4, 5), repeat=2) if abs(dx) + abs(dy) <= 4),
                   key=lambda p: abs(p[0] - vx) + abs(p[1] - vy))
    for x, y in spots:
        if (x, y) == (vx, vy):
            continue
        if not any(overlaps(via_pads(tech, path.via, x, y)[upper], rect) for rect in own_upper):
            continue
        for corner in ((start[0], y), (x, start[1])):
            points = [start] + ([corner] if corner not in (start, (x, y)) else []) + [(x, y)]
            candidate = Statement(path.layer, points, path.via, path.line)
            shapes = candidate.shapes(tech)
            if all(not layout.foreign_conflicts(layer, rect, net.name) for layer, rect in shapes):
                return candidate
    return None


def _format(statement: Statement, first: bool) -> str:
    """A path as a DEF ``+ ROUTED``/``NEW`` line (``*`` for a repeated coordinate)."""
    pts, previous = [], None
    for x, y in statement.points:
        if previous is None:
            pts.append(f"( {x} {y} )")
        else:
            pts.append(f"( {x if x != previous[0] else '*'} {y if y != previous[1] else '*'} )")
        previous = (x, y)
    via = f" {statement.via}" if statement.via else ""
    return f"{'+ ROUTED' if first else '  NEW'} {statement.layer} {' '.join(pts)}{via} "


def _apply(layout: Layout, net: Net, old: Statement | None, new: Statement) -> None:
    tech = layout.tech
    if old is not None:
        for layer, rect in old.shapes(tech):
            layout.remove(layer, rect, old)
        net.paths[net.paths.index(old)] = new
    else:
        net.paths.append(new)
    for layer, rect in new.shapes(tech):
        layout.add(layer, rect, net.name, new)


def _drop(layout: Layout, net: Net, statement: Statement) -> None:
    for layer, rect in statement.shapes(layout.tech):
        layout.remove(layer, rect, statement)
    net.paths.remove(statement)


def repair(def_text: str, lef_text: str, grid_um: float = 0.1) -> tuple[str, RepairReport]:
    """The DEF with qrouter's pin-access defects repaired, and what was found, fixed and left.

    ``grid_um`` is the grid moved vias are put on: magic's lambda in the OSU SCMOS technology."""
    layout = Layout(def_text, lef_text)
    tech = layout.tech
    report = RepairReport()
    step = max(1, round(grid_um * tech.units))
    edits: dict[int, str] = {}         # line index -> replacement text
    added: dict[str, list[str]] = defaultdict(list)
    power = {pin for shapes in tech.macros.values() for pin in shapes.power}
    for net in layout.nets:
        if net.name in power:
            continue       # joined through the rails and stripes (special nets), which LVS checks
        for path in _crowded_vias(layout, net):
            moved = _try_moved_via(layout, net, path, step)
            if moved is not None:
                before = len(layout.open_pins(net))
                _apply(layout, net, path, moved)
                if len(layout.open_pins(net)) > before:
                    _apply(layout, net, moved, path)
                    moved = None
            if moved is None:
                report.crowded.append(f"{net.name}: {path.via} at {path.points[-1]}")
                continue
            edits[path.line] = _format(moved, first=layout.lines[path.line].lstrip().startswith("+"))
            report.moved_vias.append(f"{net.name}: {path.via} {path.points[-1]} -> {moved.points[-1]}")
        for inst, pin in layout.open_pins(net):
            via = _try_pin_via(layout, net, inst, pin)
            if via is not None:
                _apply(layout, net, None, via)
                if (inst, pin) not in layout.open_pins(net):
                    added[net.name].append(_format(via, False))
                    report.pin_vias.append(f"{net.name}: {inst}/{pin}")
                    continue
                _drop(layout, net, via)
            report.opens.append(f"{net.name}: {inst}/{pin}")
    lines = list(layout.lines)
    for index, text in edits.items():
        lines[index] = text + (";" if lines[index].rstrip().endswith(";") else "")
    for net in layout.nets:
        if net.name in added:
            last = max(path.line for path in net.paths if path.line >= 0)
            line = lines[last].rstrip()
            semicolon = line.endswith(";")       # the net's statement ends on this line: keep it last
            body = line[:-1].rstrip() if semicolon else line
            lines[last] = body + "\n" + "\n".join(added[net.name]) + (" ;" if semicolon else "")
    return "\n".join(lines), report
