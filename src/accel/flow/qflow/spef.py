"""qflow's rc2dly SPEF, fixed so OpenSTA can read it.

rc2dly writes ``*C_UNIT 1 FF`` but its values are in pF, names internal nodes ``12_3`` instead of
``*12:3``, and keeps Yosys' ``net[3]`` names where the netlist says ``net_3_``; OpenSTA would drop those
parasitics with thousands of warnings, so each is fixed here (and sta_post fails if any record is left
unmatched).
"""

from __future__ import annotations

import re


def repair_spef(text: str, ports: set[str]) -> str:
    text = text.replace("*C_UNIT 1 FF", "*C_UNIT 1 PF")
    # Internal nodes: "12_3" -> "*12:3" (net 12 in the name map, node 3).
    text = re.sub(r"(?<![\w*:\[\]])(\d+)_(\d+)(?![\w.\[\]])", r"*\1:\2", text)

    # Bit-selected internal nets: "x[3]" -> "x_3_" as blif2Verilog names them; ports keep brackets.
    def bus_bit(match: re.Match) -> str:
        name, index = match.group(1), match.group(2)
        return match.group(0) if name in ports else f"{name}_{index}_"

    return re.sub(r"(?<![\w\\])([A-Za-z_][\w$]*)\[(\d+)\]", bus_bit, text)
