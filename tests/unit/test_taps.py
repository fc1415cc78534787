"""Well-tap insertion (accel.flow.qflow.taps): fill cells become taps so every row point is near one."""

import pytest

from accel.flow.qflow.taps import TapError, fill_sizes, fillcells_with_taps, insert_taps

SITE, FILL, TAP = 10, "fill_", "tap_1"
WIDTHS = {"fill_1": 10, "fill_2": 20, "fill_4": 40, "fill_8": 80, "decap_3": 30, "tap_1": 10, "nand": 40}


def placed_def(rows):
    lines = ["VERSION 5.6 ;", "UNITS DISTANCE MICRONS 100 ;", f"COMPONENTS {sum(len(r) for r in rows)} ;"]
    for y, row in enumerate(rows):
        x = 0
        for index, cell in enumerate(row):
            lines.append(f"- c{y}_{index} {cell} + PLACED ( {x} {y * 100} ) {'N' if y % 2 == 0 else 'FS'} ;")
            x += WIDTHS[cell]
    return "\n".join(lines + ["END COMPONENTS", "END DESIGN"]) + "\n"


def components(text):
    return [line.split() for line in text.splitlines() if line.startswith("- ")]


def test_fill_sizes_cover_exactly():
    assert fill_sizes(7, (1, 2, 4, 8)) == [4, 2, 1]
    assert fill_sizes(0, (1, 2)) == []
    with pytest.raises(TapError):
        fill_sizes(3, (2,))


def test_taps_keep_every_point_within_half_the_pitch_and_nothing_moves():
    row = ["nand", "fill_4", "nand", "nand", "fill_2", "nand", "decap_3", "nand", "nand", "fill_8", "nand"]
    text = placed_def([row, row])
    new, metrics = insert_taps(text, WIDTHS, SITE, 140, TAP, ("fill_", "decap_"), FILL)
    placed = components(new)
    assert f"COMPONENTS {len(placed)} ;" in new
    for y in (0, 100):
        cells = sorted((int(c[6]), c[2]) for c in placed if int(c[7]) == y)
        taps = [x for x, cell in cells if cell == TAP]
        assert taps and taps[0] <= 70 and all(b - a - SITE <= 140 for a, b in zip(taps, taps[1:]))
        # the row still abuts: same total width, no overlaps
        x = 0
        for start, cell in cells:
            assert start == x
            x += WIDTHS[cell]
        assert x == sum(WIDTHS[cell] for cell in row)
    assert metrics["taps"] >= 4 and metrics["worst_distance"] <= 70


def test_too_little_fill_widens_a_gap_and_too_much_distance_is_an_error():
    # a tap after 80 units of cells: the first gap is wider than half a pitch but reported, not fatal
    _, metrics = insert_taps(placed_def([["nand", "nand", "fill_1", "nand"]]), WIDTHS, SITE, 140, TAP,
                             ("fill_",), FILL)
    assert metrics["taps"] == 1 and metrics["worst_distance"] == 80
    with pytest.raises(TapError, match="row at y=0: a point 320 DEF units"):
        insert_taps(placed_def([["nand"] * 8 + ["fill_1"]]), WIDTHS, SITE, 140, TAP, ("fill_",), FILL)
    with pytest.raises(TapError, match="no fill cell"):
        insert_taps(placed_def([["nand"] * 2]), WIDTHS, SITE, 140, TAP, ("fill_",), FILL)


def test_unknown_cells_and_missing_components_are_errors():
    with pytest.raises(TapError, match="xyz of c0_1 is not in the LEF"):
        insert_taps(placed_def([["nand", "fill_1"]]).replace(" fill_1 ", " xyz "), WIDTHS, SITE, 140, TAP,
                    ("fill_",), FILL)
    with pytest.raises(TapError, match="no COMPONENTS"):
        insert_taps("VERSION 5.6 ;\n", WIDTHS, SITE, 140, TAP, ("fill_",), FILL)


def test_fillcells_list_follows_the_taps():
    # qflow's router adds the instances of fillcells.txt to the routed netlist: after tapping, the list
    # must name the pieces, not the fill cell they replaced, or the netlist has cells the layout lacks
    text = placed_def([["nand", "fill_8", "nand"]])
    new, metrics = insert_taps(text, WIDTHS, SITE, 140, TAP, ("fill_",), FILL)
    fillcells = ("# Fill cell instances added to the design:\n"
                 "Net=__antenna_nc_0 Instance=c0_1 Cell=fill_8 Pin=-\n"
                 "Net=__antenna_nc_1 Instance=other Cell=fill_1 Pin=-\n")
    listed = fillcells_with_taps(fillcells, metrics["replaced"])
    placed = {c[1]: c[2] for c in components(new)}
    lines = [line.split() for line in listed.splitlines()[1:]]
    instances = {f[1].split("=")[1]: f[2].split("=")[1] for f in lines}
    assert "c0_1" not in instances and "c0_1" not in placed
    assert {name: cell for name, cell in placed.items() if name.startswith("c0_1")} == \
        {name: cell for name, cell in instances.items() if name.startswith("c0_1")}
    assert TAP in instances.values() and instances["other"] == "fill_1"
    nets = [f[0] for f in lines]
    assert len(set(nets)) == len(nets)                   # each piece on its own unconnected net


def test_fill_cells_off_the_site_grid_are_snapped_onto_it():
    text = placed_def([["nand", "fill_4", "nand", "fill_8"]]).replace("( 120 0 )", "( 119 0 )")
    new, _ = insert_taps(text, WIDTHS, SITE, 140, TAP, ("fill_",), FILL)
    assert all(int(c[6]) % SITE == 0 for c in components(new))
