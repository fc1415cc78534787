# magic: read the routed DEF over the cell LEF, repair minimum-area islands, save the layout, write GDS.
# The OSU cells have no GDS here, so the GDS holds the routing and the cells' LEF abstracts.
drc off
snap int
lef read {{lef}}
def read {{def}}
load {{top}}
select top cell
expand
# qrouter does not know minimum metal area: a via stack can leave a lone via pad smaller than the
# rule (e.g. "Metal1 area < 20"). Grow each such pad by one unit on every side. This cannot hide a
# problem: the drc step checks the result again (spacing) and lvs would see any short.
# (flow.repairs.min_area_pads: 1 on, 0 off)
set fix_min_area {{min_area_pads}}
set fixed 0
if {$fix_min_area} {
    drc on
    drc check
    drc catchup
    foreach {why boxes} [drc listall why] {
        if {[regexp {^Metal([0-9]) area <} $why -> layer]} {
            foreach area $boxes {
                box values {*}$area
                box grow c 1
                paint metal$layer
                incr fixed
            }
        }
    }
}
puts "ACCEL-MINAREA-FIXED $fixed"
drc off
select top cell
writeall force {{top}}
gds write {{top}}.gds
quit -noprompt
