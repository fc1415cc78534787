"""Control: the host's register port (and, next, the command processor and DMA)."""
