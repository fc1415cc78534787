"""Every named operation the flow runs on what graywolf, qrouter and qflow produce, in the order it runs.

Each is switched by ``flow.repairs.<name>`` (all on by default), reports ``repair__<name>__count`` and has a
version in its step's cache key (accel.flow.engine.operation). The steps that own the files run them:
``preroute`` edits the placed DEF and qrouter's script before routing, ``gds`` edits the routed layout. The
why of each is in the module that implements it (taps, router_grid, def_repair, gds_repairs, and magic's
templates/magic/gds.tcl for min_area_pads).
"""

from __future__ import annotations

from ..engine.operation import Operation

WELL_TAPS = Operation("well_taps", "preroute", "1", "fill cells turned into well taps, every row point within "
                      "half the tap pitch of one (taps)", applies=lambda pdk: bool(pdk.tap_cell), pdks=("sky130hd",))
STRIPE_TRIM = Operation("stripe_trim", "preroute", "1", "power stripes and their via stacks narrowed so the via "
                        "pads qrouter puts beside them keep their spacing (router_grid.trim_stripes)",
                        applies=lambda pdk: pdk.trim_stripes, pdks=("sky130hd",))
PIN_SIZING = Operation("pin_sizing", "preroute", "1", "die pins grown to hold the router's via on their own grid "
                       "point (router_grid.size_pins)", applies=lambda pdk: bool(pdk.via_pin_layers), pdks=("sky130hd",))
FENCE_LOOSENING = Operation("fence_loosening", "preroute", "1", "qflow's obstruction fence around the die pulled "
                            "back from the pins' grid line (router_grid.loosen_fence)",
                            applies=lambda pdk: bool(pdk.via_pin_layers), pdks=("sky130hd",))
OFF_PITCH_FENCES = Operation("off_pitch_fences", "preroute", "1", "obstructions on the grid lines off a coarse "
                             "layer's tracks (router_grid.off_pitch_obstructions)",
                             applies=lambda pdk: bool(pdk.fenced_layers), pdks=("sky130hd",))
PIN_VIAS = Operation("pin_vias", "gds", "1", "a missing via dropped onto a pin where its net passes right "
                     "above it (def_repair)", applies=lambda pdk: pdk.backend == "magic", pdks=("osu018",))
VIA_MOVES = Operation("via_moves", "gds", "1", "a via pad crowding another net moved along the net's own wire "
                      "(def_repair)", applies=lambda pdk: pdk.backend == "magic", pdks=("osu018",))
MIN_AREA_PADS = Operation("min_area_pads", "gds", "1", "a lone via pad below the minimum area grown by one "
                          "unit (magic, templates/magic/gds.tcl)", applies=lambda pdk: pdk.backend == "magic", pdks=("osu018",))
VIA_PAD_TURNS = Operation("via_pad_turns", "gds", "1", "a via pad crowding a neighbour turned by 90 degrees "
                          "about its cut (gds_repairs.turn_via_pads)", applies=lambda pdk: pdk.backend == "klayout", pdks=("sky130hd",))
SAME_NET_BRIDGES = Operation("same_net_bridges", "gds", "1", "a gap narrower than the spacing between two "
                             "pieces of one net filled (gds_repairs.bridge_same_net_gaps)",
                             applies=lambda pdk: pdk.backend == "klayout", pdks=("sky130hd",))
MIN_AREA_GROWTH = Operation("min_area_growth", "gds", "1", "a metal island below the minimum area lengthened "
                            "along its track (gds_repairs.grow_to_min_area)",
                            applies=lambda pdk: pdk.backend == "klayout", pdks=("sky130hd",))
NOTCH_FILLS = Operation("notch_fills", "gds", "1", "a notch narrower than the spacing within one polygon "
                        "filled (gds_repairs.fill_notches)", applies=lambda pdk: pdk.backend == "klayout", pdks=("sky130hd",))

#: Before routing (the place step), in order.
PLACE_OPERATIONS = (WELL_TAPS, STRIPE_TRIM, PIN_SIZING, FENCE_LOOSENING, OFF_PITCH_FENCES)
#: On the routed layout with magic (osu018): the DEF first, then magic's own.
MAGIC_GDS_OPERATIONS = (VIA_MOVES, PIN_VIAS, MIN_AREA_PADS)
#: On the routed layout with KLayout (sky130hd), in order.
KLAYOUT_GDS_OPERATIONS = (VIA_PAD_TURNS, SAME_NET_BRIDGES, MIN_AREA_GROWTH, NOTCH_FILLS)
OPERATIONS = PLACE_OPERATIONS + MAGIC_GDS_OPERATIONS + KLAYOUT_GDS_OPERATIONS
