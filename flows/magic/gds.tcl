# magic: read the routed DEF over the cell LEF, save the layout, write GDS and the cell's LEF.
# The OSU cells have no GDS here, so the GDS holds the routing and the cells' LEF abstracts.
drc off
snap int
lef read {{lef}}
def read {{def}}
load {{top}}
select top cell
expand
writeall force {{top}}
gds write {{top}}.gds
puts "ACCEL-BBOX [box values]"
quit -noprompt
