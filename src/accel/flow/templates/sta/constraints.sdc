# Timing constraints written by accel from the config (clock.period_ns, flow.io_delay_fraction).
create_clock -name clk -period {{period_ns}} [get_ports clk]
set_input_delay {{io_delay_ns}} -clock clk [delete_from_list [all_inputs] [get_ports clk]]
set_output_delay {{io_delay_ns}} -clock clk [all_outputs]
set_load {{output_load_pf}} [all_outputs]
