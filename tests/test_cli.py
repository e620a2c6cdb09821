"""Operator commands."""
import sqlalchemy as sa

from app.domain.enums import Role
from app.extensions import db
from app.models import User


def test_create_admin_with_options(runner):
    result = runner.invoke(args=["create-admin", "--email", "Ops@Example.com", "--password", "a long admin password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "ops@example.com" and user.role == Role.ADMIN


def test_create_admin_prompts_when_options_are_missing(runner):
    result = runner.invoke(
        args=["create-admin"], input="ops@example.com\na long admin password\na long admin password\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role)) == Role.ADMIN


def test_create_admin_refuses_bad_input_with_its_code(runner):
    result = runner.invoke(args=["create-admin", "--email", "ops@example.com", "--password", "short"])
    assert result.exit_code != 0 and "PASSWORD_TOO_SHORT" in result.output
    runner.invoke(args=["create-admin", "--email", "ops@example.com", "--password", "a long admin password"])
    again = runner.invoke(args=["create-admin", "--email", "OPS@example.com", "--password", "a long admin password"])
    assert again.exit_code != 0 and "EMAIL_TAKEN" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_create_makes_a_trader(runner):
    result = runner.invoke(args=["users", "create", "--email", "t@example.com", "--password", "a long trader password"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role)) == Role.TRADER


def test_seed_demo_creates_an_admin_once_and_prints_its_credentials(app_factory):
    app = app_factory(DEMO_DATA=True)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0
    assert "admin@example.com" in first.output and "password:" in first.output
    password = first.output.split("password:")[1].split()[0]
    second = runner.invoke(args=["seed-demo"])
    assert "password:" not in second.output
    login = app.test_client().post("/auth/login", data={"email": "admin@example.com", "password": password})
    assert login.status_code == 302


def test_seed_demo_does_nothing_without_demo_data(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
