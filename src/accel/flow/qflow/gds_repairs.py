"""Repairs of a routed sky130 layout that qrouter's own rules miss, made on the GDS before the checks.

Each repair is a geometric edit that cannot change connectivity and is checked not to crowd anything:
a via pad turned about its cut, a gap inside one net filled, a metal island lengthened to the minimum
area, a notch closed. The drc and lvs steps then check the repaired layout like any other, so a repair
that went wrong would fail the build. The errors each one removes were measured on routed PEs and the
tiny array (docs/flow.md, "sky130hd").
"""

from __future__ import annotations

import math

from ..layout.nets import extract_nets

#: Routing layers the repairs work on.
REPAIRED_LAYERS = ("met1", "met2", "met3", "met4")


def _merged_metal(layout, index: int):
    """All of layer ``index`` under the top cell, merged into polygons."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    return kdb.Region(layout.top_cell().begin_shapes_rec(index)).merged()


def _turned(box):
    """``box`` turned by 90 degrees about its centre."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    center = box.center()
    return kdb.Box(center.x - box.height() // 2, center.y - box.width() // 2,
                   center.x + box.height() // 2, center.y + box.width() // 2)


def fill_notches(layout, gds_layers: dict, spacing: dict[str, float], rounds: int = 5) -> int:
    """Fill the notches of the routed metal: gaps narrower than the layer's spacing between two edges of
    one polygon (qrouter's via pads are wider than its wires, so two vias one track apart on a wire leave a
    0.015 um deep slot, and a wire stub beside a pad leaves a slit). The metal is one net on both sides,
    so filling cannot open or short anything; a fill that would come within a spacing of other metal is
    left out. Filling can make new, smaller notches, so it repeats up to ``rounds`` times. Returns the
    fills drawn."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    top = layout.top_cell()
    drawn = 0
    for name, space in spacing.items():
        index = layout.find_layer(*gds_layers[name])
        if index is None:
            continue
        for _ in range(rounds):
            metal = _merged_metal(layout, index)
            # a morphological closing (grow by half the spacing, shrink back) fills every gap narrower
            # than the spacing with right-angled pieces; the notch check's own quadrilaterals can be
            # slanted (a pad's corner beside a wire), and slanted fills made staircases of new notches
            gap = int(round(space / layout.dbu))
            if metal.notch_check(gap).is_empty():
                break
            half = (gap + 1) // 2
            notches = (metal.sized(half).sized(-half) - metal).merged()
            added = 0
            for piece in notches.each():
                # only its own polygon within a spacing of the fill: no short, no new spacing error
                if metal.interacting(kdb.Region(piece).sized(gap - 1)).count() == 1:
                    top.shapes(index).insert(piece)
                    added += 1
            drawn += added
            if not added:
                break
    return drawn


def _spacing_errors_near(layout, index: int, box, space: int, skip=None, extra=None) -> int:
    """Spacing errors between different polygons of layer ``index`` touching ``box`` (enlarged by the
    spacing), counting the metal within one micron: without the shapes of instance ``skip``, plus ``extra``."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    window = box.enlarged(space + int(round(1.0 / layout.dbu)))
    metal = kdb.Region()
    shapes = layout.top_cell().begin_shapes_rec_overlapping(index, window)
    while not shapes.at_end():
        path = shapes.path()
        if skip is None or not path or path[0].inst() != skip:
            metal.insert(shapes.shape().polygon.transformed(shapes.trans()))
        shapes.next()
    if extra is not None:
        metal.insert(extra)
    metal.merge()
    near = box.enlarged(space)
    return sum(1 for pair in metal.isolated_check(space).each() if pair.bbox().touches(near))


def turn_via_pads(layout, gds_layers: dict, spacing: dict[str, float]) -> int:
    """Turn via pads that sit too close to another polygon by 90 degrees on that layer, where that removes
    spacing errors without adding any. qrouter picks the pad's orientation per via and sometimes lays a
    met1 pad long across the tracks beside a wire on the next track: 0.11 um where Met1 2 asks 0.14 (134
    such errors on a PE). Every enclosure the via's cut needs holds either way (the pad is the same
    rectangle turned about the cut), and the wires reach the cut's centre, so connectivity is unchanged.
    Returns the pads turned."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    top = layout.top_cell()
    variants: dict[tuple[int, int], int] = {}
    turned = 0

    def turned_cell(cell_index: int, index: int) -> int:
        if (cell_index, index) not in variants:
            source = layout.cell(cell_index)
            copy = layout.create_cell(f"{source.name}_turned{layout.get_info(index).layer}")
            for layer in layout.layer_indices():
                for shape in source.shapes(layer).each():
                    if layer == index:
                        copy.shapes(layer).insert(_turned(shape.bbox()))
                    else:
                        copy.shapes(layer).insert(shape)
            variants[(cell_index, index)] = copy.cell_index()
        return variants[(cell_index, index)]

    for name, value in spacing.items():
        index = layout.find_layer(*gds_layers[name])
        if index is None:
            continue
        space = int(round(value / layout.dbu))
        for marker in _merged_metal(layout, index).isolated_check(space).polygons().each():
            for inst in list(top.each_overlapping_inst(marker.bbox().enlarged(space))):
                cell = layout.cell(inst.cell_index)
                pads = list(cell.shapes(index).each())
                if not cell.name.startswith("VIA_") or len(pads) != 1 or not pads[0].polygon.is_box():
                    continue
                pad = pads[0].bbox().transformed(inst.trans)
                if pad.width() == pad.height():
                    continue
                flipped = _turned(pad)
                area = pad + flipped
                before = _spacing_errors_near(layout, index, area, space)
                if before == 0:
                    continue                 # an earlier turn already fixed it
                after = _spacing_errors_near(layout, index, area, space, skip=inst, extra=kdb.Region(flipped))
                if after < before:
                    # the turned pad for this placement: turn the cell's pad about its own centre
                    inst.cell_index = turned_cell(inst.cell_index, index)
                    turned += 1
    return turned


def _inside_point(edge, dbu_step: int = 2):
    """A point just inside the polygon an edge bounds (KLayout polygon edges run with the inside on
    their right)."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    dx, dy = edge.dx(), edge.dy()
    length = max(abs(dx), abs(dy)) or 1
    middle = kdb.Point((edge.p1.x + edge.p2.x) // 2, (edge.p1.y + edge.p2.y) // 2)
    return kdb.Point(middle.x + round(dy * dbu_step / length), middle.y - round(dx * dbu_step / length))


def bridge_same_net_gaps(layout, gds_layers: dict, stack: tuple[str, ...], spacing: dict[str, float]) -> int:
    """Fill the gaps narrower than the spacing between two polygons of one net. qrouter puts two vias of
    one net on neighbouring grid points across the tracks (0.08 um apart on met1 where Met1 2 asks 0.14)
    and lets a route end short of the pin it reaches on the next grid point; the rule holds for one net as
    for two. Each side's net comes from a KLayout net extraction of the whole layout; a gap is filled only
    when both sides are the same net and the fill touches nothing else. Returns the bridges drawn."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    top = layout.top_cell()
    found = []
    for name, value in spacing.items():
        index = layout.find_layer(*gds_layers[name])
        if index is None:
            continue
        metal = _merged_metal(layout, index)
        pairs = list(metal.isolated_check(int(round(value / layout.dbu))).each())
        if pairs:
            found.append((name, index, metal, pairs))
    if not found:
        return 0
    flat = layout.dup()
    flat.top_cell().flatten(True)
    l2n, regions = extract_nets(flat, gds_layers, stack)

    def net_at(name: str, point):
        net = l2n.probe_net(regions[name], point)
        return None if net is None else net.cluster_id

    bridges = 0
    for name, index, metal, pairs in found:
        for pair in pairs:
            first, second = net_at(name, _inside_point(pair.first)), net_at(name, _inside_point(pair.second))
            if first is None or first != second:
                continue
            fill = kdb.Region(pair.bbox())
            if metal.interacting(fill.sized(int(round(spacing[name] / layout.dbu)) - 1)).count() != 2 \
                    or fill.area() == 0:
                continue                   # a third polygon within a spacing: leave the gap to the DRC report
            top.shapes(index).insert(pair.bbox())
            bridges += 1
    return bridges


def _box_distance(a, b) -> int:
    """How far apart two boxes are (0 when they touch or overlap), along x or y, whichever is larger."""
    return max(0, b.left - a.right, a.left - b.right, b.bottom - a.top, a.bottom - b.top)


def grow_to_min_area(layout, gds_layers: dict, rules: dict[str, tuple[float, float, bool]],
                     grid: float = 0.005) -> int:
    """Lengthen the rectangles of metal smaller than the layer's minimum area along the layer's routing
    direction until they reach it: a via stack (met2-met3-met4) leaves a met3 island of two via pads,
    0.12 um^2 where Met3 6 asks 0.24. ``rules``: layer -> (minimum area um^2, spacing um, horizontal).
    The island grows about its centre or shifted towards either end (in 0.02 um steps), wherever it then
    keeps the spacing to all other metal, choosing the way that leaves the most room to the islands still
    to grow; one that has no such room stays for the DRC report. Returns the islands grown."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    top = layout.top_cell()
    step = int(round(grid / layout.dbu))
    grown = 0
    for name, (area, space, horizontal) in rules.items():
        index = layout.find_layer(*gds_layers[name])
        if index is None:
            continue
        metal = _merged_metal(layout, index)
        need = area / layout.dbu / layout.dbu
        gap = int(round(space / layout.dbu))
        drawn = kdb.Region()                    # islands grown so far: the next must keep clear of them too
        islands = metal.with_area(0, int(need), False)
        for island in islands.each():
            box = island.bbox()                 # a via stack's pads: grow their bounding box
            across = box.height() if horizontal else box.width()
            along = box.width() if horizontal else box.height()
            extra = math.ceil((need / across - along) / step) * step
            if extra <= 0:
                continue
            others = metal - kdb.Region(island)
            waiting = islands - kdb.Region(island) - drawn
            fits = []
            splits = sorted(set(range(0, extra, 4 * step)) | {extra, extra // 2 // step * step},
                            key=lambda b: abs(2 * b - extra))          # centred first
            for before in splits:
                bigger = (kdb.Box(box.left - before, box.bottom, box.right + extra - before, box.top) if horizontal
                          else kdb.Box(box.left, box.bottom - before, box.right, box.top + extra - before))
                reach = kdb.Region(bigger.enlarged(gap - 1))
                if others.interacting(reach).is_empty() and drawn.interacting(reach).is_empty():
                    # prefer the way that leaves the most room to the islands still to grow (three via
                    # stacks in a row: the outer ones grow outwards, so the middle one has room)
                    near = waiting.interacting(kdb.Region(bigger.enlarged(gap + 2 * extra)))
                    room = min((_box_distance(bigger, other.bbox()) for other in near.each()), default=gap + 2 * extra)
                    fits.append((-room, len(fits), bigger))
            if not fits:
                bigger = _grow_both_ways(box, need, step, gap, others + drawn, horizontal)
                if bigger is not None:
                    fits.append((0, 0, bigger))
            if fits:
                bigger = min(fits)[2]
                top.shapes(index).insert(bigger)
                drawn.insert(bigger)
                grown += 1
    return grown


def _grow_both_ways(box, need: float, step: int, gap: int, blocked, horizontal: bool):
    """An island with no room to reach the minimum area along its track: as far as it may go both ways
    along the track, then across it (towards the next track) for the rest; None if that is not enough."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    def clear(candidate) -> bool:
        return blocked.interacting(kdb.Region(candidate.enlarged(gap - 1))).is_empty()

    def free(grow, limit: int) -> int:
        """The longest extension (a multiple of step, at most limit) that stays clear."""
        low, high = 0, limit // step
        while low < high:
            middle = (low + high + 1) // 2
            if clear(grow(middle * step)):
                low = middle
            else:
                high = middle - 1
        return low * step

    # a vertical layer's track runs along y: work in the frame mirrored at 45 degrees, where it runs along x
    mirror = kdb.Trans(kdb.Trans.M45) if not horizontal else kdb.Trans()
    box, blocked = box.transformed(mirror), blocked.transformed(mirror)
    reach = 4 * gap
    left = free(lambda e: kdb.Box(box.left - e, box.bottom, box.right, box.top), reach)
    right = free(lambda e: kdb.Box(box.left, box.bottom, box.right + e, box.top), reach)
    line = kdb.Box(box.left - left, box.bottom, box.right + right, box.top)
    down = free(lambda e: kdb.Box(line.left, line.bottom - e, line.right, line.top), gap)
    up = free(lambda e: kdb.Box(line.left, line.bottom, line.right, line.top + e), gap)
    more = max(0, math.ceil((need / line.width() - line.height()) / step) * step)
    down = min(down, more)
    if more - down > up:
        return None
    bigger = kdb.Box(line.left, line.bottom - down, line.right, line.top + (more - down))
    if bigger.area() < need or not clear(bigger):
        return None
    return bigger.transformed(mirror)
