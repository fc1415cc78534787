"""The sky130 routing DRC deck (accel.flow.checks.drc_deck) on small hand-made layouts: a clean route passes,
and each way routing can go wrong (a wire moved too close, a narrow wire, a via moved off its metal or
missing its landing, a tiny metal island) is caught by the rule that names it."""

import pytest

klayout = pytest.importorskip("klayout.db")

from accel.flow.checks.drc_deck import rules, run_drc  # noqa: E402
from accel.flow.pdk.sky130hd import CUTS, GDS_LAYERS  # noqa: E402

TECH_LEF = """
LAYER met1
  TYPE ROUTING ;
  WIDTH 0.14 ;                     # Met1 1
  # SPACING 0.14 ;                 # Met1 2
  SPACINGTABLE
     PARALLELRUNLENGTH 0
     WIDTH 0 0.14
     WIDTH 3 0.28 ;
  AREA 0.083 ;                     # Met1 6
END met1

LAYER via
  TYPE CUT ;
  WIDTH 0.15 ;                  # Via 1a
  SPACING 0.17 ;                # Via 2
  ENCLOSURE BELOW 0.055 0.085 ; # Via 4a / Via 5a
  ENCLOSURE ABOVE 0.055 0.085 ; # Met2 4 / Met2 5
END via

LAYER met2
  TYPE ROUTING ;
  WIDTH 0.14 ;                        # Met2 1
  # SPACING  0.14 ;                   # Met2 2
  SPACINGTABLE
     PARALLELRUNLENGTH 0
     WIDTH 0 0.14 ;
  AREA 0.0676 ;                       # Met2 6
END met2
"""
DECK = rules(TECH_LEF, tuple(GDS_LAYERS), CUTS)


def box(cell, layout, layer, x1, y1, x2, y2):
    cell.shapes(layout.layer(*GDS_LAYERS[layer])).insert(klayout.DBox(x1, y1, x2, y2))


def route(tmp_path, edit=None):
    """Two parallel met1 wires, a met2 wire, a via joining met1 and met2 (in um); ``edit`` may change it."""
    layout = klayout.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("top")
    shapes = {"w1": ("met1", 0, 0, 3, 0.14), "w2": ("met1", 0, 0.48, 3, 0.62),
              "m2": ("met2", 2.0, -0.1, 2.3, 2.0), "v": ("via", 2.075, 0.0, 2.225, 0.15),
              "pad": ("met1", 2.02, -0.055, 2.28, 0.205)}
    if edit:
        edit(shapes)
    for layer, *coords in shapes.values():
        box(top, layout, layer, *coords)
    path = tmp_path / "t.gds"
    layout.write(str(path))
    return run_drc(path, DECK, GDS_LAYERS, tmp_path / "drc.json")


def failing(violations):
    return {v.rule for v in violations}


def test_deck_names_skywater_rules():
    by_name = {r.name: r for r in DECK}
    assert by_name["met1.width"].value == 0.14 and by_name["met1.width"].source == "Met1 1"
    assert by_name["met1.spacing"].source == "Met1 2" and by_name["met2.spacing"].source == "Met2 2"
    assert by_name["via.enclosure.met1"].value == 0.055 and by_name["via.enclosure.met2"].other == "met2"
    assert by_name["met1.area"].value == 0.083


def test_clean_route_passes(tmp_path):
    violations = route(tmp_path)
    assert violations == [], violations
    assert (tmp_path / "drc.json").exists()


def test_moved_wire_breaks_spacing(tmp_path):
    def move(s):
        s["w2"] = ("met1", 0, 0.2, 3, 0.34)          # 0.06 um from w1's top edge
    assert failing(route(tmp_path, move)) == {"met1.spacing"}
    # every violation is a marker in the report database, under its rule, where it is
    import klayout.rdb as krdb
    markers = krdb.ReportDatabase("check")
    markers.load(str(tmp_path / "drc.lyrdb"))
    categories = {c.name(): c for c in markers.each_category()}
    assert set(categories) == {"met1.spacing"} and markers.num_items() >= 1
    item = next(markers.each_item_per_category(categories["met1.spacing"].rdb_id()))
    box = next(item.each_value()).edge_pair().bbox()
    assert 0.1 < box.top < 0.4 and box.right <= 3.001                 # between the two wires, in um


def test_narrow_wire(tmp_path):
    def narrow(s):
        s["w2"] = ("met1", 0, 0.48, 3, 0.58)         # 0.10 um wide
    assert "met1.width" in failing(route(tmp_path, narrow))


def test_moved_via_loses_its_enclosure(tmp_path):
    def move(s):
        s["v"] = ("via", 2.15, 0.0, 2.30, 0.15)      # shifted right: sticks out of the met2 wire and the pad
    assert {"via.enclosure.met2", "via.enclosure.met1"} <= failing(route(tmp_path, move))


def test_deleted_metal_under_a_via(tmp_path):
    def delete(s):
        del s["pad"], s["w1"]                       # the via lands on nothing
    assert "via.enclosure.met1" in failing(route(tmp_path, delete))


def test_tiny_metal_island(tmp_path):
    def island(s):
        s["dot"] = ("met2", 5, 5, 5.2, 5.2)          # 0.04 um^2 < 0.0676
    assert failing(route(tmp_path, island)) == {"met2.area"}
