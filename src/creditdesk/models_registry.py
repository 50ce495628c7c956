"""Import every domain's tables so Alembic and tests see the whole schema."""

from __future__ import annotations

from creditdesk.audit import models as _audit  # noqa: F401
from creditdesk.auth import models as _auth  # noqa: F401
from creditdesk.borrowers import models as _borrowers  # noqa: F401
from creditdesk.bureaus import models as _bureaus  # noqa: F401
from creditdesk.channels import models as _channels  # noqa: F401
from creditdesk.db import Base
from creditdesk.events import models as _events  # noqa: F401
from creditdesk.idempotency import models as _idempotency  # noqa: F401
from creditdesk.lending import models as _lending  # noqa: F401
from creditdesk.ml import models as _ml  # noqa: F401
from creditdesk.monitoring import models as _monitoring  # noqa: F401
from creditdesk.payments import models as _payments  # noqa: F401
from creditdesk.portfolio import models as _portfolio  # noqa: F401
from creditdesk.scoring import models as _scoring  # noqa: F401
from creditdesk.tenancy import models as _tenancy  # noqa: F401
from creditdesk.webhooks import models as _webhooks  # noqa: F401
from creditdesk.worker import models as _worker  # noqa: F401
from creditdesk.worker import scheduler as _scheduler  # noqa: F401

__all__ = ["Base"]
