"""qflow's rc2dly SPEF, fixed so OpenSTA can read it.

rc2dly writes ``*C_UNIT 1 FF`` but its values are in pF, names internal nodes ``12_3`` instead of
``*12:3``, and keeps the BLIF's net names where blif2Verilog wrote the netlist with others: ``net[3]``
is ``net_3_`` there (a port bit keeps its brackets), and ``$`` is ``_`` (qflow's buffered copies
``clk_bF$buf6``, ``a_in[7_bF$buf4]`` are ``clk_bF_buf6``, ``a_in_7_bF_buf4_``). OpenSTA drops records
whose names do not match with thousands of warnings, and a ``$`` is a syntax error to its SPEF reader
that silently ends the file there (every parasitic after the first buffered clock net was lost, so
"post-route" timing was close to the ideal-wire one). Each is fixed here; sta_post fails on any record
left unmatched and on any SPEF syntax error.

Where rc2dly cannot tell which pin a route ends on, it names the endpoint ``ERROR`` (on sky130hd, a few
per net: branches ending on a pin-access pad or a grown die pin off the point it looks at). Such an
endpoint is kept as an internal node of its net (its wire still loads the driver) and counted
(:func:`unresolved_endpoints`); OpenSTA would otherwise look for an instance called ERROR.
"""

from __future__ import annotations

import re


def unresolved_endpoints(text: str) -> list[str]:
    """The name-map indices rc2dly wrote for route endpoints it could not name (``*214 ERROR``)."""
    return re.findall(r"^\*(\d+) ERROR\s*$", text, re.M)


def repair_spef(text: str, ports: set[str]) -> str:
    text = text.replace("*C_UNIT 1 FF", "*C_UNIT 1 PF")
    errors = set(unresolved_endpoints(text))
    if errors:
        text = _errors_as_internal_nodes(text, errors)
    # Internal nodes: "12_3" -> "*12:3" (net 12 in the name map, node 3).
    text = re.sub(r"(?<![\w*:\[\]])(\d+)_(\d+)(?![\w.\[\]])", r"*\1:\2", text)

    # Bit-selected internal nets: "x[3]" -> "x_3_" as blif2Verilog names them; a port's bit keeps its
    # brackets, a buffered copy of it ("a_in[7_bF$buf4]") does not.
    def bus_bit(match: re.Match) -> str:
        name, index = match.group(1), match.group(2)
        return match.group(0) if name in ports and index.isdigit() else f"{name}_{index}_"

    text = re.sub(r"(?<![\w\\])([A-Za-z_][\w$]*)\[([\w$]+)\]", bus_bit, text)
    return text.replace("$", "_")


#: Internal node numbers for rc2dly's ERROR endpoints start here (its own count up from 1 per net).
ERROR_NODE_BASE = 1_000_000


def _errors_as_internal_nodes(text: str, errors: set[str]) -> str:
    """Each reference ``*K:<pin>`` to an ERROR endpoint K (rc2dly writes the pin part cut short,
    ``*214:ERRO``) as internal node ``*<net>:<ERROR_NODE_BASE + K>`` of the net it is in, without its
    connection line."""
    def node(net: str):
        return lambda m: f"*{net}:{ERROR_NODE_BASE + int(m.group(1))}" if m.group(1) in errors else m.group(0)

    out, net = [], None
    for line in text.splitlines(keepends=True):
        found = re.match(r"\*D_NET \*(\d+)\s", line)
        if found:
            net = found.group(1)
        pin = re.match(r"\*I \*(\d+):\S+\s", line)
        if pin and pin.group(1) in errors:
            continue                                       # the ERROR "instance" pin of *CONN
        if net is not None and not line.startswith("*"):
            line = re.sub(r"\*(\d+):\w+", node(net), line)
        out.append(line)
    return "".join(out)
