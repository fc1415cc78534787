"""Passing a block's ports through an enclosing component's interface (simulation tops that hold many)."""

from amaranth.lib import wiring
from amaranth.lib.wiring import In


def forward_ports(m, outer, inner) -> None:
    """Connect every member of interface ``outer`` (an ``Out`` member of the enclosing component whose
    signature repeats ``inner``'s members) to the same-named member of component ``inner``."""
    for name, member in outer.signature.members.items():
        ours, theirs = getattr(outer, name), getattr(inner, name)
        if member.is_port:
            m.d.comb += theirs.eq(ours) if member.flow == In else ours.eq(theirs)
        elif member.flow == In:
            wiring.connect(m, wiring.flipped(ours), theirs)
        else:
            wiring.connect(m, theirs, wiring.flipped(ours))


def forward_named(m, outer, inner, members: dict) -> None:
    """Connect the plain ports ``members`` (name -> member, as in ``outer``'s signature) of component
    ``outer`` to the same-named ports of its submodule ``inner`` (chip pins that are a block's pins)."""
    for name, member in members.items():
        ours, theirs = getattr(outer, name), getattr(inner, name)
        m.d.comb += theirs.eq(ours) if member.flow == In else ours.eq(theirs)
