"""Simulated CIBIL, Experian and CRIF High Mark, speaking real HTTP in each bureau's own format.

Mount :func:`simulator_router` in the main app (demo/dev mode) or run :func:`build_simulator_app`
standalone. Reports are deterministic per PAN (see :mod:`.personas`); sandbox credentials are in
:data:`SANDBOX_DEFAULTS` and ``GET /simulators/{bureau}/sandbox-credentials``.
"""

from creditdesk.bureaus.simulators.app import Simulators, build_simulator_app, simulator_router
from creditdesk.bureaus.simulators.personas import PERSONAS, pan_for_persona, persona_for_pan, profile_for_pan
from creditdesk.bureaus.simulators.state import SANDBOX_DEFAULTS, SandboxCredentials, SimulatorFaults
from creditdesk.bureaus.simulators.transport import InProcessTransport

__all__ = [
    "PERSONAS",
    "SANDBOX_DEFAULTS",
    "InProcessTransport",
    "SandboxCredentials",
    "SimulatorFaults",
    "Simulators",
    "build_simulator_app",
    "pan_for_persona",
    "persona_for_pan",
    "profile_for_pan",
    "simulator_router",
]
