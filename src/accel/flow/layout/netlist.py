"""The reader of the flat gate-level Verilog netlists qflow writes (``<top>.rtlnopwr.v``): its ports and
its cell instances with their pin connections."""

from __future__ import annotations

import re


def netlist_ports(verilog: str) -> set[str]:
    """The port names of the module header."""
    header = re.search(r"module\s+\w+\s*\(([^)]*)\)", verilog)
    return {name.strip() for name in header.group(1).split(",")} if header else set()


def netlist_instances(verilog: str) -> dict[str, tuple[str, dict[str, str]]]:
    """instance -> (cell, pin -> net) of a flat gate-level Verilog netlist."""
    body = verilog[verilog.find(";") + 1:]
    instances = {}
    for match in re.finditer(r"^\s*([A-Za-z_][\w$]*)\s+([\\A-Za-z_][^\s(]*)\s*\((.*?)\);", body, re.M | re.S):
        cell, name, ports = match.groups()
        if cell in ("module", "input", "output", "inout", "wire", "assign"):
            continue
        pins = {pin: net.strip() for pin, net in re.findall(r"\.(\w+)\s*\(\s*([^()]*?)\s*\)", ports)}
        instances[name] = (cell, pins)
    return instances


def cell_counts(verilog: str) -> dict[str, int]:
    """cell -> instances of it."""
    counts: dict[str, int] = {}
    for cell, _ in netlist_instances(verilog).values():
        counts[cell] = counts.get(cell, 0) + 1
    return counts
