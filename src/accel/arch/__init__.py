"""What hardware and software both derive from a config: geometry, the ISA encoding, the HBM address map.

Below both ``hw`` and ``sw`` (and above ``config``), so neither imports the other for them.
"""
