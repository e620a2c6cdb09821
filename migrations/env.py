"""Alembic environment: runs against the Flask app's engine and metadata."""
import logging
import warnings

from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")
# SQLite cannot reflect expression indexes; batch migrations there would warn on every run.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
config = context.config
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def skip_empty_autogenerate(context_, revision, directives):
    # An autogenerate that finds no change should write no empty revision file.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("no schema changes detected")


def run_migrations_offline() -> None:
    context.configure(
        url=str(migrate_ext.db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
        user_module_prefix="app.models.types.",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    options = dict(migrate_ext.configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("compare_type", True)
    options.setdefault("user_module_prefix", "app.models.types.")
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
