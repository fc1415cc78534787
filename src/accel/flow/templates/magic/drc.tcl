# magic: full DRC of the routed layout (the SCMOS tech's default style; it has no drc(full)).
lef read {{lef}}
load {{top}}
select top cell
expand
drc on
drc check
drc catchup
set count [drc list count total]
puts "ACCEL-DRC-COUNT $count"
if {$count > 0} { drc why }
quit -noprompt
