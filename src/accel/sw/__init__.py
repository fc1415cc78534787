"""Software for the accelerator: the ISA encoding, the GEMM/conv compiler and the simulation driver."""
