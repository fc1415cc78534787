"""HBM-style memory controller: address map, per-pseudo-channel scheduler, DFI-like back end."""
