"""Demo seeding: one ordered list of seeders; each domain adds its own (idempotent) seeder here."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from creditdesk.bureaus.demo import seed_bureaus
from creditdesk.channels.demo import seed_channels
from creditdesk.config import Settings
from creditdesk.db import get_database
from creditdesk.ml.demo import seed_models
from creditdesk.payments.demo import seed_payments
from creditdesk.portfolio.demo import seed_portfolio
from creditdesk.scoring.demo import seed_applications
from creditdesk.tenancy.demo import seed_users

Seeder = Callable[[Session, Settings], None]


def seeders() -> list[Seeder]:
    """Return the seeders in the order they run (later ones may rely on earlier ones)."""
    return [seed_users, seed_bureaus, seed_payments, seed_models, seed_applications, seed_portfolio, seed_channels]


def seed_demo(settings: Settings) -> None:
    """Run every seeder, each in its own transaction, so a re-run only fills what is missing."""
    db = get_database()
    for seeder in seeders():
        with db.session() as session, session.begin():
            seeder(session, settings)
