# magic: extract the routed layout to a SPICE netlist for LVS (cells stay black boxes: their
# transistor netlists come from the PDK's SPICE library at LVS time).
lef read {{lef}}
load {{top}}
select top cell
expand
extract all
ext2spice hierarchy on
ext2spice format ngspice
ext2spice scale off
ext2spice renumber off
ext2spice cthresh infinite
ext2spice rthresh infinite
ext2spice blackbox on
ext2spice subcircuit top auto
ext2spice global off
ext2spice -o {{top}}.spice
quit -noprompt
