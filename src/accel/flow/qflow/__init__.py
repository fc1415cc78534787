"""Everything specific to qflow, graywolf and qrouter: qflow project directories and stage scripts
(project), and every named operation on what they leave behind (repairs lists them: taps, router_grid,
def_repair, gds_repairs), plus rc2dly's SPEF fixed (spef)."""
