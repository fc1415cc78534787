"""Sign-off checks and the reading of their reports: accel's KLayout DRC deck (drc_deck), the KLayout
connectivity check (connectivity), netgen's LVS report (netgen), OpenSTA's reports (timing)."""
