"""The steps of ``accel build``, in flow order (one Step class per tool action)."""

from .elaborate import Elaborate
from .synth import Synth
from .sta import StaPre, StaPost
from .place import Place
from .route import Route
from .parasitics import Parasitics
from .gds import Gds
from .drc import Drc
from .lvs import Lvs
from .render import Render

FLOW = [Elaborate(), Synth(), StaPre(), Place(), Route(), Parasitics(), StaPost(), Gds(), Drc(), Lvs(), Render()]
STEP_NAMES = [step.name for step in FLOW]
