"""Operator commands: accounts, demo seeding, key rotation and the scheduler."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.domain.enums import Role
from app.domain.errors import PortcullisError
from app.jobs.scheduler import run_scheduler
from app.jobs.tasks import TASKS
from app.security import DecryptionError

users_cli = AppGroup("users", help="Manage user accounts.")


def _create(email: str, password: str, role: Role) -> None:
    from app.services.users import create_user

    try:
        user = create_user(email, password, role=role)
    except PortcullisError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from None
    click.echo(f"created {role.value} {user.email} (id {user.id})")


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin_command(email: str, password: str) -> None:
    """Create an admin account."""
    _create(email, password, Role.ADMIN)


@users_cli.command("create")
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(email: str, password: str) -> None:
    """Create a trader account."""
    _create(email, password, Role.TRADER)


@users_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A label to tell the token apart.")
def create_token_command(email: str, name: str) -> None:
    """Make an API token for a user; the token alone is printed on the last line."""
    from app.services.api_tokens import create_token
    from app.services.auth import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    try:
        plaintext, _ = create_token(user, name)
    except PortcullisError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from None
    click.echo("API token (shown once; store it safely):")
    click.echo(plaintext)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """On an empty development database, create a demo admin and print its credentials once."""
    from app.services.users import ensure_demo_admin

    created = ensure_demo_admin()
    if created is None:
        click.echo("demo data: nothing to do (demo data is off or users already exist)")
        return
    user, password = created
    click.echo("")
    click.echo("  Demo admin created (shown once; change the password after signing in):")
    click.echo(f"    email:    {user.email}")
    click.echo(f"    password: {password}")
    click.echo("")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Re-encrypt every stored secret under the first key in ENCRYPTION_KEYS."""
    from app.services.credentials import rotate_encryption_keys

    try:
        count = rotate_encryption_keys()
    except DecryptionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"re-encrypted {count} secrets under the first key")


@click.command("scheduler")
@click.option("--once", "once", type=click.Choice(sorted(TASKS)), help="Run one job now, record it, and exit.")
@with_appcontext
def scheduler_command(once: str | None) -> None:
    """Run the job scheduler (prices, monitor, reconciliation, snapshots) under the leader lock until stopped."""
    if once:
        run = TASKS[once]()
        click.echo(f"{once}: {run.outcome.value} in {run.duration_ms} ms {run.counts}")
        if run.outcome.value != "success":
            raise click.ClickException(run.error or "job failed")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_scheduler(current_app._get_current_object(), stop)


def register_cli(app: Flask) -> None:
    for command in (create_admin_command, seed_demo_command, rotate_keys_command, scheduler_command):
        app.cli.add_command(command)
    app.cli.add_command(users_cli)
