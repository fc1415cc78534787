#!/usr/bin/tcsh -f
# qflow options, written by accel from the config's flow section.
# Synthesis: accel's Yosys synthesis commands (synth.ys); blifFanout buffers nets to at most {{max_latency_ps}} ps per gate at a {{output_load_ff}} fF output load.
set yosys_script = "{{yosys_script}}"
set fanout_options = "-l {{max_latency_ps}} -c {{output_load_ff}}"
# Placement: pad with fill cells to the target cell density (utilization), power stripes every {{stripe_pitch_um}} um.
set initial_density = {{density}}
set addspacers_options = "-stripe {{stripe_width_um}} {{stripe_pitch_um}} PG"
# Routing
set via_stacks = "1"
