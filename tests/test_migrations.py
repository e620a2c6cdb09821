"""The migrations build the models' schema from nothing and take it back to nothing."""
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import reset_database


@pytest.fixture
def scratch_database_url(database_url):
    """A database of its own, so going down to base does not disturb the shared test schema."""
    if database_url.startswith("postgresql"):
        url = make_url(database_url).set(database=make_url(database_url).database + "_migrations")
        url = url.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'migrations.sqlite3'}"
    reset_database(url)
    return url


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(scratch_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_database_url})
    with app.app_context():
        upgrade()
        assert _tables(db.engine) == set(db.metadata.tables)
        with db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
        assert drift == [], f"models and migrations disagree: {drift}"

        downgrade(revision="base")
        assert _tables(db.engine) == set()

        upgrade()
        assert _tables(db.engine) == set(db.metadata.tables)
        db.engine.dispose()


def test_ci_runs_the_migrations_on_postgresql(database_url):
    if os.environ.get("CI") != "true":
        pytest.skip("only CI is required to have PostgreSQL")
    assert database_url.startswith("postgresql"), "CI must point TEST_DATABASE_URL at PostgreSQL"
