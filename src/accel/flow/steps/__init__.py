"""The steps of ``accel build``, in flow order: one Step class per tool action."""

from ..pdk import Pdk
from .connectivity import Connectivity
from .drc import Drc
from .drc_klayout import KlayoutDrc
from .elaborate import Elaborate
from .gds import Gds
from .gds_klayout import KlayoutGds
from .lvs import Lvs
from .parasitics import Parasitics
from .place import Place
from .preroute import Preroute
from .render import Render
from .route import Route
from .sta import StaPost, StaPre
from .synth import Synth

#: The osu018 flow (magic + netgen for GDS, DRC, LVS).
FLOW = [Elaborate(), Synth(), StaPre(), Place(), Preroute(), Route(), Parasitics(), StaPost(), Gds(), Drc(), Lvs(),
        Render()]
STEP_NAMES = [step.name for step in FLOW]
#: Replacements under the same names for PDKs whose checks run in KLayout (sky130hd).
KLAYOUT_STEPS = {step.name: step for step in (KlayoutGds(), KlayoutDrc(), Connectivity())}
ALL_STEPS = FLOW + list(KLAYOUT_STEPS.values())


def flow_for(pdk: Pdk) -> list:
    """The steps for ``pdk``, in order (same names for every PDK, so --from/--to mean the same)."""
    if pdk.backend == "klayout":
        return [KLAYOUT_STEPS.get(step.name, step) for step in FLOW]
    return list(FLOW)
