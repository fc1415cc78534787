# OpenSTA timing and power analysis, filled in by accel (pre-route: no SPEF; post-route: with SPEF).
read_liberty {{liberty}}
read_verilog {{netlist}}
link_design {{top}}
read_sdc {{sdc}}
{{read_spef}}
puts "ACCEL-SECTION setup"
report_checks -path_delay max -digits 4 -fields {fanout cap slew}
puts "ACCEL-SECTION hold"
report_checks -path_delay min -digits 4
puts "ACCEL-SECTION summary"
report_wns -digits 4
report_tns -digits 4
puts "ACCEL-SECTION power"
report_power -digits 6
puts "ACCEL-SECTION end"
exit
