"""The `creditdesk` command line."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.kit.crypto import RotationReport, SecretBox, reseal_all
from creditdesk.ml.cli import model_app

app = typer.Typer(help="CreditDesk — explainable credit decisions for lenders.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Administrative users.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
keys_app = typer.Typer(help="Secrets and encryption keys.", no_args_is_help=True)
simulators_app = typer.Typer(help="The simulated credit bureaus.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")
app.add_typer(simulators_app, name="simulators")
app.add_typer(model_app, name="model", help="Train and validate credit models from the command line.")


def _settings(demo: bool = False):  # type: ignore[no-untyped-def]
    from creditdesk.config import get_settings

    if demo:
        os.environ["CREDITDESK_MODE"] = "demo"
    get_settings.cache_clear()
    return get_settings()


def _prepare(settings) -> None:  # type: ignore[no-untyped-def]
    """Migrate the database — with region databases, the catalogue and every region's — and open it."""
    from creditdesk.db import init_database
    from creditdesk.migrations import upgrade
    from creditdesk.tenancy.service import sync_region_anchors

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for url in dict.fromkeys([settings.sqlalchemy_url, *settings.region_databases.values()]):
        upgrade(url)
    sync_region_anchors(init_database(settings.sqlalchemy_url, settings.region_databases))


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Embedded demo: SQLite, demo tenant, users and data")] = False,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Upgrade the database, seed demo data if asked, and serve the API and portal.

    Everything the process logs is JSON lines on stderr (see ``kit/logging.py``); the demo's sign-in
    password is the one thing written to stdout instead, for the person at the terminal, so it never
    reaches the log. A stop signal (Ctrl-C, SIGTERM) is a clean shutdown with exit code 0.
    """
    import structlog
    import uvicorn

    from creditdesk.config import ConfigError
    from creditdesk.kit.logging import configure_logging

    configure_logging()  # until the settings name the level
    _stop_cleanly_on_signals()
    log = structlog.get_logger("creditdesk.cli")
    reachable_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - demo bureau configs call back here
    os.environ.setdefault("CREDITDESK_PUBLIC_BASE_URL", f"http://{reachable_host}:{port}")
    try:
        settings = _settings(demo)
    except ConfigError as exc:
        log.error(f"error: {exc}")
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    _prepare(settings)
    if demo or settings.mode == "demo":
        from creditdesk.demo import seed_demo
        from creditdesk.tenancy.demo import PLATFORM_USERS, TENANT_USERS

        seed_demo(settings)
        users = {email: role.value for email, _, role in PLATFORM_USERS + TENANT_USERS}
        log.info("CreditDesk demo is ready: sign in with any of these users", users=users)
        # The password goes to the terminal (stdout) only, never through the logger: log lines are shipped
        # and kept, and a secret must not be in them.
        typer.echo(
            "CreditDesk demo users: "
            + ", ".join(users)
            + f"\npassword: {settings.demo_password.get_secret_value()}  (set CREDITDESK_DEMO_PASSWORD to change)"
        )
    if workers > 1:  # aggregate Prometheus metrics across processes
        import shutil

        metrics_dir = settings.data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    log.info(f"Serving on http://{host}:{port}  (API docs at /docs)", host=host, port=port, workers=workers)
    uvicorn.run(
        "creditdesk.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # uvicorn's lines go through our JSON handler
        timeout_graceful_shutdown=20,
        # uvicorn kills a worker that does not answer its health ping in time and starts another; under a
        # saturated CPU a busy worker (or a new one still importing the app) can miss uvicorn's 5 s default,
        # and the replacements would miss it too: a restart loop that drops the requests in flight
        timeout_worker_healthcheck=60,
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=True,
        access_log=False,  # RequestContextMiddleware logs each request
    )


def _stop_cleanly_on_signals() -> None:
    """Make Ctrl-C and SIGTERM a clean exit (code 0, no traceback), before and after uvicorn serves.

    While it serves, uvicorn handles both signals (graceful shutdown) and then re-raises the signal it
    caught against the handler it found — this one — instead of dying by it (exit 143, which `make demo`
    would report as "Error 143").
    """
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Worker threads in this process")] = 2,
) -> None:
    """Process background jobs from the broker named by CREDITDESK_BROKER_URL (production)."""
    import signal
    import threading

    from creditdesk.tasks import TASK_REGISTRY  # noqa: PLC0415 - every domain loads only for this command
    from creditdesk.worker.broker import is_embedded, start_worker, stop_worker  # noqa: PLC0415 - as above

    settings = _settings()
    if is_embedded(settings):
        typer.echo(
            "error: set CREDITDESK_BROKER_URL (amqp://… or redis://…); embedded mode runs jobs in `serve`", err=True
        )
        raise typer.Exit(2)
    _prepare(settings)
    from creditdesk.kit.logging import configure_logging

    configure_logging(settings.log_level)
    settings.worker_threads = threads
    start_worker(settings, TASK_REGISTRY, recover=False)
    import structlog

    structlog.get_logger("creditdesk.cli").info(f"worker running with {threads} threads; Ctrl-C to stop")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    stop_worker()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _settings()
    _prepare(settings)
    typer.echo("database is up to date")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo tenant, users and data (idempotent)."""
    from creditdesk.demo import seed_demo

    settings = _settings(demo=True)
    _prepare(settings)
    seed_demo(settings)
    typer.echo("demo data seeded")


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="E-mail of the platform admin")],
    name: Annotated[str, typer.Option(help="Display name")] = "Platform Admin",
    password: Annotated[str | None, typer.Option(help="Password (prompted when omitted)")] = None,
) -> None:
    """Create a platform admin."""
    from creditdesk.audit import service as audit
    from creditdesk.auth.passwords import password_problem
    from creditdesk.db import get_database
    from creditdesk.errors import Conflict
    from creditdesk.tenancy.permissions import Role
    from creditdesk.tenancy.service import add_user

    settings = _settings()
    _prepare(settings)
    if password is None:
        if not sys.stdin.isatty():
            typer.echo("error: --password is required when not interactive", err=True)
            raise typer.Exit(2)
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(password, email):
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    try:
        with get_database().session() as session, session.begin():
            user = add_user(
                session, tenant_id=None, email=email, name=name, role=Role.PLATFORM_ADMIN, password=password
            )
            audit.record(
                session,
                actor=audit.SYSTEM,
                action="user.created",
                tenant_id=None,
                resource_type="user",
                resource_id=user.id,
                details={"email": user.email, "role": user.role, "via": "cli"},
            )
    except Conflict as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"id": user.id, "email": user.email, "role": user.role}))


@keys_app.command("generate")
def keys_generate() -> None:
    """Print fresh values for CREDITDESK_JWT_SECRET and CREDITDESK_ENCRYPTION_KEYS."""
    import secrets

    from creditdesk.config import generate_encryption_key

    typer.echo(f"CREDITDESK_JWT_SECRET={secrets.token_urlsafe(48)}")
    typer.echo(f"CREDITDESK_ENCRYPTION_KEYS={generate_encryption_key()}")


def rotate_keys(session: Session, box: SecretBox | None = None) -> RotationReport:
    """Re-seal every registered encrypted field under the active key and audit it (``keys rotate``)."""
    report = reseal_all(session, box)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="keys.rotated",
        tenant_id=None,
        details={
            "active_key": report.active_key,
            "rotated": report.rotated,
            "already_current": report.already_current,
            "failed": len(report.failed),
        },
    )
    return report


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret and personal datum under the active (first) key of CREDITDESK_ENCRYPTION_KEYS."""
    from creditdesk import models_registry  # noqa: F401, PLC0415 - every domain registers its sealed fields
    from creditdesk.db import get_database  # noqa: PLC0415 - the CLI loads the app only for the command run

    settings = _settings()
    _prepare(settings)
    with get_database().session() as session, session.begin():
        report = rotate_keys(session)
    typer.echo(
        f"re-encrypted {report.rotated} secret(s) under key {report.active_key}; "
        f"{report.already_current} already current; {len(report.failed)} failed"
    )
    for where in report.failed:
        typer.echo(f"error: cannot decrypt {where}: its key is not in CREDITDESK_ENCRYPTION_KEYS", err=True)
    if report.failed:
        raise typer.Exit(1)


@simulators_app.command("serve")
def simulators_serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8100,
) -> None:
    """Serve the simulated CIBIL, Experian and CRIF on their own (at /simulators/{bureau}/…)."""
    import uvicorn

    from creditdesk.bureaus.simulators import build_simulator_app

    typer.echo(f"Bureau simulators on http://{host}:{port}/simulators/{{cibil,experian,crif}}  (docs at /docs)")
    uvicorn.run(build_simulator_app(), host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":  # pragma: no cover
    app()


@app.command("day-end")
def day_end(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: every active tenant)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to close, YYYY-MM-DD (default: yesterday, tenant's clock)")
    ] = None,
) -> None:
    """Run the day-end: record each loan's DPD and RBI class; emit loan.dpd_changed where it moved."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from creditdesk.db import get_database, set_tenant_scope
    from creditdesk.portfolio.dayend import run_day_end
    from creditdesk.tenancy import clock
    from creditdesk.tenancy.models import Tenant

    settings = _settings()
    _prepare(settings)
    day = date.fromisoformat(as_of) if as_of else None
    db = get_database()
    with db.session() as session:
        stmt = select(Tenant.id).where(Tenant.status == "active")
        ids = list(session.execute(stmt if tenant is None else stmt.where(Tenant.slug == tenant)).scalars())
    if not ids:
        typer.echo(f"error: no active tenant {tenant or ''}".rstrip(), err=True)
        raise typer.Exit(1)
    for tenant_id in ids:
        with db.session() as session, session.begin():
            set_tenant_scope(session, tenant_id)
            row = session.get_one(Tenant, tenant_id)
            result = run_day_end(session, tenant=row, as_of=day or clock.today(row) - timedelta(days=1))
            typer.echo(f"{row.slug}: day-end of {result.as_of}: {result.loans} loans, {len(result.changed)} moved")
