"""The chip-to-chip network interface: packets, reliable links and a ring router (docs/network.md)."""
