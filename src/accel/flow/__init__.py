"""The physical flow of ``accel build``: RTL to GDS with open tools (see docs/flow.md)."""
