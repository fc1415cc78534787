"""Repairs of a routed layout (accel.flow.qflow.gds_repairs): each fixes its error on a hand-made layout and leaves
alone what it must not touch (another net within reach, no room)."""

import importlib.util

import pytest

from accel.flow.pdk.sky130hd import GDS_LAYERS
from accel.flow.qflow import gds_repairs as repairs

STACK = ("li1", "mcon", "met1", "via", "met2", "via2", "met3", "via3", "met4", "via4", "met5")

pytestmark = pytest.mark.skipif(importlib.util.find_spec("klayout") is None, reason="klayout module not installed")


def blank():
    """An empty layout in nanometres with sky130's met1, via and met2 layers."""
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("top")
    return layout, top, layout.layer(68, 20), layout.layer(68, 44), layout.layer(69, 20)


def spacing_errors(top, layer, space):
    import klayout.db as kdb

    metal = kdb.Region(top.begin_shapes_rec(layer))
    metal.merge()
    return metal.isolated_check(space).count()


def test_notches_are_filled_only_inside_one_net():
    import klayout.db as kdb

    def layout_with(extra):
        layout = kdb.Layout()
        layout.dbu = 0.001
        top = layout.create_cell("top")
        met1 = layout.layer(68, 20)
        # a wire with two via pads 0.1 um apart: the wire between them is a 0.015 um deep notch
        for box in [(0, 0, 2, 0.14), (0.5, -0.06, 0.82, 0.2), (0.92, -0.06, 1.24, 0.2), *extra]:
            top.shapes(met1).insert(kdb.DBox(*box))
        return layout, top, met1

    def notches(top, met1):
        metal = kdb.Region(top.begin_shapes_rec(met1))
        return metal.notch_check(140).count()

    layout, top, met1 = layout_with([])
    assert notches(top, met1) > 0
    assert repairs.fill_notches(layout, GDS_LAYERS, {"met1": 0.14}) >= 1
    assert notches(top, met1) == 0 and kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 1
    # another net's metal reaching into the upper slot: that slot stays open (a fill would short the
    # two), the lower one is filled
    layout, top, met1 = layout_with([(0.84, 0.155, 0.9, 0.3)])
    assert repairs.fill_notches(layout, GDS_LAYERS, {"met1": 0.14}) == 1
    assert kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 2


def test_a_via_pad_crowding_the_next_track_is_turned_and_only_then():
    import klayout.db as kdb

    def layout_with(neighbour):
        layout, top, met1, via, met2 = blank()
        cell = layout.create_cell("VIA_M1M2_PR_MR_0")         # met1 pad long across the met1 tracks
        cell.shapes(met1).insert(kdb.Box(-130, -160, 130, 160))
        cell.shapes(via).insert(kdb.Box(-75, -75, 75, 75))
        cell.shapes(met2).insert(kdb.Box(-130, -160, 130, 160))
        top.insert(kdb.CellInstArray(cell.cell_index(), kdb.Trans(1000, 1000)))
        top.shapes(met1).insert(kdb.Box(0, 930, 1000, 1070))            # its own wire along the track
        top.shapes(met1).insert(kdb.Box(*neighbour))                    # another net
        return layout, top, met1, met2

    # a wire on the next track (0.34 um up): 0.11 um from the tall pad, 0.14 from a turned one
    layout, top, met1, met2 = layout_with((500, 1270, 1500, 1410))
    assert spacing_errors(top, met1, 140) == 1
    assert repairs.turn_via_pads(layout, GDS_LAYERS, {"met1": 0.14}) == 1
    assert spacing_errors(top, met1, 140) == 0
    via = next(top.each_inst())
    turned = layout.cell(via.cell_index)
    assert turned.bbox_per_layer(met1) == kdb.Box(-160, -130, 160, 130)        # met1 turned about the cut
    assert turned.bbox_per_layer(met2) == kdb.Box(-130, -160, 130, 160)        # met2 as it was
    # a neighbour a turned pad would hit (0.1 um to the right): the tall pad stays
    layout, top, met1, _ = layout_with((1230, 700, 1370, 1300))
    before = spacing_errors(top, met1, 140)
    assert before >= 1 and repairs.turn_via_pads(layout, GDS_LAYERS, {"met1": 0.14}) == 0 and spacing_errors(top, met1, 140) == before


def test_gaps_are_bridged_only_between_metal_of_one_net():
    import klayout.db as kdb

    def layout_with(joined):
        layout, top, met1, via, met2 = blank()
        # two met1 via pads on neighbouring tracks, 0.08 um apart
        for y in (0, 340):
            top.shapes(met1).insert(kdb.Box(-160, y - 130, 160, y + 130))
            top.shapes(via).insert(kdb.Box(-75, y - 75, 75, y + 75))
            top.shapes(met2).insert(kdb.Box(-130, y - 160, 130, y + 160))
        if joined:                                   # a met2 wire over both vias: one net
            top.shapes(met2).insert(kdb.Box(-70, 0, 70, 340))
        return layout, top, met1

    # joined through met2 (one net): the gap is filled and the two pads become one polygon
    layout, top, met1 = layout_with(joined=True)
    assert spacing_errors(top, met1, 140) == 1
    assert repairs.bridge_same_net_gaps(layout, GDS_LAYERS, STACK, {"met1": 0.14}) == 1
    assert spacing_errors(top, met1, 140) == 0 and kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 1
    # two nets: left alone, the DRC reports it
    layout, top, met1 = layout_with(joined=False)
    assert repairs.bridge_same_net_gaps(layout, GDS_LAYERS, STACK, {"met1": 0.14}) == 0 and spacing_errors(top, met1, 140) == 1


def test_islands_grow_along_the_track_to_the_minimum_area_where_there_is_room():
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("top")
    met3 = layout.layer(70, 20)
    # a via stack's met3: two pads, 0.12 um^2 where Met3 6 asks 0.24
    top.shapes(met3).insert(kdb.Box(0, 0, 380, 320))
    top.shapes(met3).insert(kdb.Box(25, -5, 355, 325))
    # one with a wire 0.35 um to its right and room to the left
    top.shapes(met3).insert(kdb.Box(5000, 0, 5380, 320))
    top.shapes(met3).insert(kdb.Box(5730, 0, 9000, 300))
    # one with 0.3 um on both sides along the track but room across it: grows towards the next track
    top.shapes(met3).insert(kdb.Box(20000, 0, 20380, 320))
    top.shapes(met3).insert(kdb.Box(17000, 0, 19700, 300))
    top.shapes(met3).insert(kdb.Box(20680, 0, 23000, 300))
    # one boxed in all round: stays small
    top.shapes(met3).insert(kdb.Box(40000, 0, 40380, 320))
    top.shapes(met3).insert(kdb.Box(37000, 0, 39700, 300))
    top.shapes(met3).insert(kdb.Box(40680, 0, 43000, 300))
    top.shapes(met3).insert(kdb.Box(37000, 620, 43000, 920))
    top.shapes(met3).insert(kdb.Box(37000, -600, 43000, -300))
    rules = {"met3": (0.24, 0.3, True)}
    assert repairs.grow_to_min_area(layout, GDS_LAYERS, rules) == 3
    metal = kdb.Region(top.begin_shapes_rec(met3))
    metal.merge()
    small = metal.with_area(0, int(0.24e6), False)
    assert small.count() == 1 and small.bbox().left == 40000          # only the boxed-in one
    assert metal.isolated_check(300).count() == 0                       # growing kept every spacing
    assert all(p.bbox().height() <= 330 for p in metal.each() if p.bbox().left < 1000)   # along the track
