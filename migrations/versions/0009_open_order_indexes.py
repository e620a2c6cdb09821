"""Partial indexes over the orders still open, which every order's checks and fill read.

Without them, finding a connection's few open orders read every order it had ever placed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UNSETTLED = sa.text("status IN ('partially_filled', 'pending_cancel', 'pending_submit', 'submitted', 'unknown')")
OPEN = sa.text("status IN ('partially_filled', 'pending_cancel', 'submitted')")
INDEXES = (
    ('ix_orders_unsettled_connection_id', 'orders', UNSETTLED),
    ('ix_paper_orders_open_connection_id', 'paper_orders', OPEN),
)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Built concurrently, so a release does not hold up order placement while it reads the tables.
        with op.get_context().autocommit_block():
            for name, table, where in INDEXES:
                op.create_index(name, table, ['connection_id'], postgresql_where=where, postgresql_concurrently=True)
        return
    for name, table, where in INDEXES:
        op.create_index(name, table, ['connection_id'], sqlite_where=where)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
