"""Orders indexed by user, symbol and time, for the duplicate check's read of the symbol's recent orders.

Without it, every order read all of its trader's orders in the duplicate window to find its own symbol's.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:00:00.000000
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NAME = 'ix_orders_user_id_symbol_created_at'
COLUMNS = ['user_id', 'symbol', 'created_at']


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Built concurrently, so a release does not hold up order placement while it reads the table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'orders', COLUMNS, postgresql_concurrently=True)
        return
    op.create_index(NAME, 'orders', COLUMNS)


def downgrade():
    op.drop_index(NAME, table_name='orders')
