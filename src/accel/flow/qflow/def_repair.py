"""Pin-access repairs of a routed DEF: the two ways qrouter 1.4 leaves a cell pin badly reached.

Found on soc-lite's routed layout (33k nets; docs/flow.md), both at off-grid pin taps after stage-2 rip-up:

1. **Missing pin via (an open).** The net arrives on metal2 right above a metal1 pin, but the M2_M1 via
   that joins them is not written (the via went one track aside). LVS sees the pin cut off its net:
   3 opens, 47 netgen mismatches on soc-lite.
2. **Crowded via (a DRC error).** The via at the end of a metal1 stub from an off-grid pin has a 0.4 um
   pad, wider than the 0.3 um wire qrouter checks, and the pad lands within spacing of another pin of
   the same cell (1 magic error on soc-lite).

The geometry of the routed DEF comes from accel.flow.layout.routed: every net's wires and vias (widths
and via pads from the LEF), every cell's pins and obstructions placed and oriented, the special nets.
This module finds opens (a pin
not connected to the rest of its net) and via pads closer than the layer spacing to another net's metal,
and repairs each with the smallest edit that the same geometry then checks: a via dropped onto the pin
where the net already passes above it, or the stub re-drawn (an L-shaped metal1 path from the same pin
point) to a via spot on the net's own upper-layer wire that is clear of the neighbour. Edits are only
kept when the net's pins are all still connected and no new spacing error appears; anything left is
reported, and the magic DRC and netgen LVS after it stay the sign-off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import product

from ..layout.lefdef import Net, Statement, format_path
from ..layout.routed import Layout, Rect, Tech, overlaps


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
                            for layer, pad in tech.via_pads(path.via, *path.points[-1]).items()):
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
        if not any(overlaps(tech.via_pads(path.via, x, y)[upper], rect) for rect in own_upper):
            continue
        for corner in ((start[0], y), (x, start[1])):
            points = [start] + ([corner] if corner not in (start, (x, y)) else []) + [(x, y)]
            candidate = Statement(path.layer, points, path.via, path.line)
            shapes = candidate.shapes(tech)
            if all(not layout.foreign_conflicts(layer, rect, net.name) for layer, rect in shapes):
                return candidate
    return None


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


def repair(def_text: str, lef_text: str, grid_um: float = 0.1, add_pin_vias: bool = True,
           move_vias: bool = True) -> tuple[str, RepairReport]:
    """The DEF with qrouter's pin-access defects repaired, and what was found, fixed and left.

    ``grid_um`` is the grid moved vias are put on: magic's lambda in the OSU SCMOS technology.
    ``add_pin_vias`` / ``move_vias`` switch the two repairs (a switched-off one still reports what it
    finds: opens and crowded vias left)."""
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
            moved = _try_moved_via(layout, net, path, step) if move_vias else None
            if moved is not None:
                before = len(layout.open_pins(net))
                _apply(layout, net, path, moved)
                if len(layout.open_pins(net)) > before:
                    _apply(layout, net, moved, path)
                    moved = None
            if moved is None:
                report.crowded.append(f"{net.name}: {path.via} at {path.points[-1]}")
                continue
            edits[path.line] = format_path(moved, first=layout.lines[path.line].lstrip().startswith("+"))
            report.moved_vias.append(f"{net.name}: {path.via} {path.points[-1]} -> {moved.points[-1]}")
        for inst, pin in layout.open_pins(net):
            via = _try_pin_via(layout, net, inst, pin) if add_pin_vias else None
            if via is not None:
                _apply(layout, net, None, via)
                if (inst, pin) not in layout.open_pins(net):
                    added[net.name].append(format_path(via, False))
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
