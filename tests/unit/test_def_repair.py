"""Pin-access repairs of a routed DEF (accel.flow.qflow.def_repair), on the two defects found in soc-lite's route.

The cases are the real ones, cut down: the same cells, placements and route statements as in soc-lite's
routed DEF, with the osu018 LEF that the flow uses.
"""

from pathlib import Path

import pytest

from accel.flow.layout.lefdef import Statement, parse_nets
from accel.flow.layout.routed import Layout, overlaps, place, read_tech
from accel.flow.qflow.def_repair import repair

LEF = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.lef")
pytestmark = pytest.mark.skipif(not LEF.exists(), reason="qflow-tech-osu018 is not installed")


def routed_def(components: list[str], nets: list[str]) -> str:
    return "\n".join(["VERSION 5.6 ;", "DESIGN t ;", "UNITS DISTANCE MICRONS 100 ;",
                      f"COMPONENTS {len(components)} ;", *components, "END COMPONENTS",
                      f"NETS {len(nets)} ;", *nets, "END NETS", "END DESIGN", ""])


# _20770_ of soc-lite: the net reaches OAI21X1_2135's pin B on metal2 at (31520, 63500); the M2_M1 via is
# one track aside at (31440, 63500), off the pin.
MISSING_VIA = routed_def(
    ["- OAI21X1_2135 OAI21X1 + PLACED ( 31400 63050 ) N ;", "- INVX1_562 INVX1 + PLACED ( 30940 63050 ) N ;"],
    ["- _20770_", "  ( OAI21X1_2135 B ) ", "  ( INVX1_562 Y ) ",
     "+ ROUTED metal2 ( 31520 63500 ) ( 31440 * ) ( * 63800 ) ( 31360 * ) M2_M1 ",
     "  NEW metal1 ( 31360 63800 ) ( 31040 * ) ;"])

# act__payload[12] of soc-lite: a metal1 stub from DFFPOSX1_2871's Q pin to a via whose 0.4 um pad comes
# 0.15 um from the same flip-flop's CLK pin (another net): magic's only DRC error on the SoC.
CROWDED_VIA = routed_def(
    ["- DFFPOSX1_2871 DFFPOSX1 + PLACED ( 150440 50 ) S ;"],
    ["- act__payload[12]", "  ( DFFPOSX1_2871 Q ) ",
     "+ ROUTED metal1 ( 150640 755 ) ( 150800 * ) M2_M1 ",
     "  NEW metal2 ( 150800 800 ) ( * 1000 ) ;",
     "- clk_bF$buf135", "  ( DFFPOSX1_2871 CLK ) ", "+ ROUTED metal1 ( 150960 700 ) M2_M1 ;"])


@pytest.fixture(scope="module")
def lef_text():
    return LEF.read_text()


def test_orientations_place_pins_like_def(lef_text):
    tech = read_tech(lef_text, 100)
    dff = tech.macros["DFFPOSX1"]
    clk = (0.6, 3.3, 1.4, 3.7)          # one CLK rectangle, 9.6 x 10 um cell
    assert place(clk, dff.width, dff.height, 0, 0, "N", 100) == (60, 330, 140, 370)
    assert place(clk, dff.width, dff.height, 0, 0, "S", 100) == (820, 630, 900, 670)
    assert place(clk, dff.width, dff.height, 0, 0, "FN", 100) == (820, 330, 900, 370)
    assert place(clk, dff.width, dff.height, 0, 0, "FS", 100) == (60, 630, 140, 670)
    with pytest.raises(ValueError, match="orientation"):
        place(clk, dff.width, dff.height, 0, 0, "E", 100)


def test_route_statements_expand_stars_and_vias(lef_text):
    nets, _, _ = parse_nets(MISSING_VIA.split("\n"))
    (net,) = nets
    assert net.pins == [("OAI21X1_2135", "B"), ("INVX1_562", "Y")]
    first, second = net.paths
    assert first.points == [(31520, 63500), (31440, 63500), (31440, 63800), (31360, 63800)]
    assert (first.layer, first.via) == ("metal2", "M2_M1")
    assert second.points == [(31360, 63800), (31040, 63800)] and second.via is None
    tech = read_tech(lef_text, 100)
    shapes = first.shapes(tech)
    assert ("metal2", (31425, 63485, 31535, 63515)) in shapes        # 0.3 um wire, half-width end extension
    assert ("metal1", (31340, 63780, 31380, 63820)) in shapes        # the via's 0.4 um pad


def test_missing_pin_via_is_found_and_added(lef_text):
    layout = Layout(MISSING_VIA, lef_text)
    assert layout.open_pins(layout.nets[0]) == [("OAI21X1_2135", "B")]
    fixed, report = repair(MISSING_VIA, lef_text)
    assert report.pin_vias == ["_20770_: OAI21X1_2135/B"]
    assert report.opens == [] and report.moved_vias == [] and report.crowded == []
    assert "  NEW metal1 ( 31520 63500 ) M2_M1" in fixed
    again = Layout(fixed, lef_text)
    assert again.open_pins(again.nets[0]) == []
    assert fixed.count(";") == MISSING_VIA.count(";")               # the net still ends exactly once


def test_pin_via_is_not_added_where_it_would_crowd_another_net(lef_text):
    # Another net's metal1 wire 0.1 um beside the spot: the via would break spacing, so the open is reported.
    text = MISSING_VIA.replace("END NETS", "- other\n+ ROUTED metal1 ( 31580 63300 ) ( * 63700 ) ;\nEND NETS")
    text = text.replace("NETS 1 ;", "NETS 2 ;")
    _, report = repair(text, lef_text)
    assert report.pin_vias == []
    assert report.opens == ["_20770_: OAI21X1_2135/B"]


def test_crowded_via_is_moved_clear_and_stays_connected(lef_text):
    layout = Layout(CROWDED_VIA, lef_text)
    tech = layout.tech
    stub = layout.nets[0].paths[0]
    pad = stub.shapes(tech)[-2]
    assert pad[0] == "metal1" and layout.foreign_conflicts("metal1", pad[1], "act__payload[12]")
    fixed, report = repair(CROWDED_VIA, lef_text)
    assert report.moved_vias == ["act__payload[12]: M2_M1 (150800, 755) -> (150800, 770)"]
    assert report.crowded == [] and report.opens == []
    assert "+ ROUTED metal1 ( 150640 755 ) ( * 770 ) ( 150800 * ) M2_M1" in fixed
    again = Layout(fixed, lef_text)
    net = again.nets[0]
    assert again.open_pins(net) == []
    for path in net.paths:
        for layer, rect in path.shapes(tech):
            assert again.foreign_conflicts(layer, rect, net.name) == []
    stub, wire = net.paths
    (via_metal2,) = [rect for layer, rect in stub.shapes(tech)[-2:] if layer == "metal2"]
    assert overlaps(via_metal2, wire.shapes(tech)[0][1])            # the moved via still meets the metal2 wire


def test_clean_route_is_left_alone(lef_text):
    # The repaired stub of the case above: nothing to find, and the DEF comes back unchanged.
    clean = CROWDED_VIA.replace("( 150640 755 ) ( 150800 * ) M2_M1", "( 150640 755 ) ( * 770 ) ( 150800 * ) M2_M1")
    fixed, report = repair(clean, lef_text)
    assert report.moved_vias == [] and report.pin_vias == [] and report.crowded == [] and report.opens == []
    assert fixed == clean


def test_statement_format_round_trips(lef_text):
    from accel.flow.layout.lefdef import TOKEN, format_path as _format, parse_path
    statement = Statement("metal1", [(1, 2), (1, 5), (7, 5)], "M2_M1", 0)
    text = _format(statement, first=False)
    assert text.strip() == "NEW metal1 ( 1 2 ) ( * 5 ) ( 7 * ) M2_M1"
    again = parse_path(TOKEN.findall(text.strip()[4:]), 0)
    assert (again.layer, again.points, again.via) == ("metal1", statement.points, "M2_M1")
