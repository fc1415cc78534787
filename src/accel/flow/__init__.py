"""The physical flow of ``accel build``: RTL to GDS with open tools (see docs/flow.md, "Where the code is").

Folders by role, imports bottom to top: ``layout`` (the one LEF/DEF reader) -> ``pdk`` -> ``engine`` ->
``qflow`` and ``checks`` -> ``steps`` -> ``build``, ``report``.
"""

#: OpenROAD-flow-scripts platforms `accel export orfs` can target.
ORFS_PLATFORMS = ("sky130hd", "sky130hs", "nangate45", "gf180", "asap7", "ihp-sg13g2")
