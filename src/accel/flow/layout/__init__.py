"""The layout database: the one reader and editor of LEF and DEF (lefdef), the geometry of a routed DEF
(routed), and net extraction of a GDS with KLayout (nets)."""
