"""Nets of a GDS layout, extracted by KLayout through a wiring stack (the connectivity check and the
same-net repairs ask which net a point of metal belongs to)."""

from __future__ import annotations


def extract_nets(layout, gds_layers: dict[str, tuple[int, int]], stack: tuple[str, ...]):
    """The nets of the flat top cell of ``layout`` through ``stack`` (layers bottom up, each joined to the
    next: metal, cut, metal, ...) with KLayout's ``LayoutToNetlist``: the extractor and its layer regions
    by name, for ``probe_net``."""
    import klayout.db as kdb     # heavy optional module: only the KLayout checks need it

    l2n = kdb.LayoutToNetlist(kdb.RecursiveShapeIterator(layout, layout.top_cell(), []))
    regions = {}
    for name in stack:
        index = layout.find_layer(*gds_layers[name])
        regions[name] = l2n.make_layer(index, name) if index is not None else l2n.make_layer(name)
    for lower, upper in zip(stack, stack[1:]):
        l2n.connect(regions[lower])
        l2n.connect(regions[lower], regions[upper])
    l2n.connect(regions[stack[-1]])
    l2n.extract_netlist()
    return l2n, regions
