# Timing constraints written by `accel export orfs` from clock.period_ns and flow.io_delay_fraction.
current_design {{top}}

set clk_name  core_clock
set clk_port_name clk
set clk_period {{period_ns}}
set clk_io_pct {{io_fraction}}

set clk_port [get_ports $clk_port_name]
create_clock -name $clk_name -period $clk_period $clk_port

set non_clock_inputs [lsearch -inline -all -not -exact [all_inputs] $clk_port]
set_input_delay  [expr $clk_period * $clk_io_pct] -clock $clk_name $non_clock_inputs
set_output_delay [expr $clk_period * $clk_io_pct] -clock $clk_name [all_outputs]
