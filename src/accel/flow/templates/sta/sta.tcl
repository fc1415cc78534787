# OpenSTA timing and power analysis, filled in by accel (pre-route: no SPEF, ideal clock; post-route: with
# SPEF and the routed clock tree's real delays).
read_liberty {{liberty}}
read_verilog {{netlist}}
link_design {{top}}
read_sdc {{sdc}}
{{read_spef}}
{{clock_mode}}
# Path groups, so that fmax comes from register-to-register paths and not from an I/O delay the config
# chose. A group with no path (a block without registers) is left out by OpenSTA's reports.
if {[llength [all_registers]] > 0} {
  group_path -name reg2reg -from [all_registers] -to [all_registers]
  group_path -name in2reg -from [all_inputs] -to [all_registers]
  group_path -name reg2out -from [all_registers] -to [all_outputs]
}
group_path -name in2out -from [all_inputs] -to [all_outputs]
puts "ACCEL-SECTION setup"
report_checks -path_delay max -digits 4 -fields {fanout cap slew}
puts "ACCEL-SECTION hold"
report_checks -path_delay min -digits 4 -fields {fanout cap slew}
puts "ACCEL-SECTION groups_setup"
report_checks -path_delay max -group_count 1 -format end -digits 4
puts "ACCEL-SECTION groups_hold"
report_checks -path_delay min -group_count 1 -format end -digits 4
puts "ACCEL-SECTION skew"
report_clock_skew -digits 4
puts "ACCEL-SECTION summary"
report_wns -digits 4
report_tns -digits 4
puts "ACCEL-SECTION power"
report_power -digits 6
puts "ACCEL-SECTION end"
exit
