"""The blocks ``accel rtl --top`` can generate, and the Verilog module name each gets.

Kept apart from rtl.py so the command line can list them without importing Amaranth."""

TOPS = {
    "core": "accel_core",
    "array": "accel_array",
    "pe": "accel_pe",
    "requant": "accel_requant",     # accumulator row -> int8 row: scale, round, shift, ReLU, saturate
    "axil_example": "accel_axil_example",   # AXI4-Lite register bank with one register of each kind
    "hbm": "accel_hbm",         # all pseudo-channels, timing tied to the config
    "hbm_pc": "accel_hbm_pc",   # one pseudo-channel, timing as input ports (for benches)
    "net_node": "accel_net_node",   # one chip's network interface: router + east/west links
    "net_ring": "accel_net_ring",   # network.nodes interfaces, links exposed (for benches)
    "soc": "accel_soc",             # the whole accelerator chip
    "soc_ring": "accel_soc_ring",   # network.nodes chips with their links joined (multi-chip simulation)
}
