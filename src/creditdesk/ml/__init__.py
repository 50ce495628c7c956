"""Machine-learning core: features, synthetic book, training, evaluation, models, reasons, scales.

Pure and database-free: the registry and scoring layers call these modules; nothing here knows
about tenants, sessions or HTTP. Model artifacts are LightGBM text and JSON — never pickle.
"""

import os as _os

# LightGBM's OpenMP threads spin while they wait for work. On a small machine shared with other
# processes that turns two threads into a ten-fold slowdown; passive waiting avoids it. Only
# effective if set before the OpenMP runtime starts, and never overrides an explicit setting.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
