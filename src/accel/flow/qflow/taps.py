"""Well taps for libraries whose cells have none (sky130_fd_sc_hd): fill cells become tap cells.

sky130_fd_sc_hd cells tie neither the n-well nor the substrate; ``tapvpwrvgnd_1`` does, and every cell
must be near one (latch-up). qflow's placement has no tap insertion, but it pads every row with fill
and decap cells (the configured utilization), so after placement :func:`insert_taps` turns fill cells
into a tap plus smaller fill, spaced so that no point of a row is more than half the tap pitch from a
tap where the row has fill within reach (elsewhere the nearest fill further on, and the metric says how
far the worst point is). The tap cell is one site wide, like ``fill_1``, so nothing moves. A point more
than a whole pitch from any tap is an error naming the row (lower ``flow.utilization``).
"""

from __future__ import annotations

import re
from collections import Counter

from ..layout.lefdef import Component, def_components, replace_components

class TapError(ValueError):
    pass


def fill_sizes(sites: int, available: tuple[int, ...]) -> list[int]:
    """Fill cells (in sites, largest first) that cover ``sites`` exactly."""
    sizes = []
    for size in sorted(available, reverse=True):
        while sites >= size:
            sizes.append(size)
            sites -= size
    if sites:
        raise TapError(f"no fill cells cover {sites} site(s) (have {available})")
    return sizes


def split_fill(component: Component, taps: set[int], sites: int, site: int, tap_cell: str, fill_cell: str,
               fills: tuple[int, ...]) -> list[Component]:
    """A fill cell of ``sites`` sites as taps at the site offsets ``taps`` and fill cells between them."""
    pieces, run_start = [], 0

    def fill_run(start: int, end: int) -> None:
        x = component.x + start * site
        for size in fill_sizes(end - start, fills):
            pieces.append(Component(f"{component.name}_fill{len(pieces)}", f"{fill_cell}{size}", component.status,
                                    x, component.y, component.orient))
            x += size * site

    for offset in sorted(taps):
        fill_run(run_start, offset)
        pieces.append(Component(f"{component.name}_tap{len(pieces)}", tap_cell, component.status,
                                component.x + offset * site, component.y, component.orient))
        run_start = offset + 1
    fill_run(run_start, sites)
    return pieces


def insert_taps(def_text: str, widths: dict[str, int], site: int, pitch: int, tap_cell: str,
                fill_prefixes: tuple[str, ...], fill_cell: str) -> tuple[str, dict]:
    """Replace fill cells by taps in a placed DEF. Distances in DEF units; ``widths``: cell -> width.

    ``fill_prefixes``: the cells that may become taps (fill, decap); ``fill_cell``: the prefix of the
    fill cells that pad what is left (``<fill_cell><sites>``, sizes from ``widths``). Returns the new DEF
    and metrics: taps inserted and the largest distance from any row point to its nearest tap."""
    try:
        components = def_components(def_text)
    except ValueError as exc:
        raise TapError(str(exc)) from None
    for component in components:
        if component.cell not in widths:
            raise TapError(f"cell {component.cell} of {component.name} is not in the LEF")
    fills = {int(cell[len(fill_cell):]) for cell in widths
             if cell.startswith(fill_cell) and cell[len(fill_cell):].isdigit()}
    # qflow's addspacers sometimes leaves a fill cell one DEF unit off the site grid (a rounding): snap fill
    # and decap cells to the grid the other cells use, or a tap made from one overlaps its neighbour by that
    # unit (li1 0.165 um from the next cell's where LI 2 asks 0.17).
    phases = Counter(c.x % site for c in components if not c.cell.startswith(fill_prefixes))
    if phases:
        phase = phases.most_common(1)[0][0]
        for component in components:
            if component.cell.startswith(fill_prefixes):
                component.x = phase + round((component.x - phase) / site) * site
    rows: dict[int, list[Component]] = {}
    for component in components:
        rows.setdefault(component.y, []).append(component)

    half = pitch // 2
    taps, worst, out = 0, 0, []
    replaced: dict[str, list[Component]] = {}
    for y, row in sorted(rows.items()):
        row.sort(key=lambda c: c.x)
        left, right = row[0].x, max(c.x + widths[c.cell] for c in row)
        # A tap may go on any site of a fill cell: (x, component) for every such site.
        sites = [(c.x + k * site, c) for c in row if c.cell.startswith(fill_prefixes) and c.cell != tap_cell
                 for k in range(widths[c.cell] // site)]
        chosen: dict[str, set[int]] = {}
        positions, covered = [], left                    # everything left of `covered` is near a tap
        while covered < right:
            # The rightmost site that leaves no gap and covers something new.
            usable = [(x, c) for x, c in sites if covered - site - half < x <= covered + half]
            ahead = [(x, c) for x, c in sites if x > covered + half]
            if usable:
                x, component = max(usable, key=lambda item: item[0])
            elif ahead:                  # a wider gap here: the nearest fill site further on
                x, component = min(ahead, key=lambda item: item[0])
            else:                        # no fill left in the row: its end stays farther from a tap
                break
            chosen.setdefault(component.name, set()).add((x - component.x) // site)
            positions.append(x)
            covered = x + site + half
        for component in [c for c in row if c.name in chosen]:
            row.remove(component)
            pieces = split_fill(component, chosen[component.name], widths[component.cell] // site, site,
                                tap_cell, fill_cell, tuple(sorted(fills)))
            replaced[component.name] = pieces
            row.extend(pieces)
            taps += len(chosen[component.name])
        if not positions:
            raise TapError(f"row at y={y} has no fill cell to turn into a well tap (lower flow.utilization)")
        gaps = [positions[0] - left] + [(b - a - site) / 2 for a, b in zip(positions, positions[1:])]
        gaps.append(right - positions[-1] - site)
        worst = max(worst, max(gaps))
        if max(gaps) > pitch:
            raise TapError(f"row at y={y}: a point {max(gaps)} DEF units from the nearest well tap, more than "
                           f"the tap pitch {pitch}: too few fill cells to turn into taps (lower flow.utilization)")
        out.extend(sorted(row, key=lambda c: c.x))
    return replace_components(def_text, out), {"taps": taps, "worst_distance": worst, "replaced": replaced}


FILL_LINE = re.compile(r"^Net=(\S+) Instance=(\S+) Cell=(\S+) Pin=(\S+)\s*$")


def fillcells_with_taps(text: str, replaced: dict[str, list[Component]]) -> str:
    """qflow's ``fillcells.txt`` (the fill instances its router adds to the netlists) after
    :func:`insert_taps`: each split fill cell's line becomes one line per piece, each on a fresh
    unconnected net. Without this the routed netlist keeps fill cells the layout no longer has."""
    numbers = [int(n) for n in re.findall(r"^Net=__antenna_nc_(\d+)", text, re.M)]
    fresh = max(numbers, default=-1) + 1
    out = []
    for line in text.splitlines():
        match = FILL_LINE.match(line)
        if not match or match.group(2) not in replaced:
            out.append(line)
            continue
        for piece in replaced[match.group(2)]:
            out.append(f"Net=__antenna_nc_{fresh} Instance={piece.name} Cell={piece.cell} Pin={match.group(4)}")
            fresh += 1
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
