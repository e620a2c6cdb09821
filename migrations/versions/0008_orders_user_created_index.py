"""Orders indexed by user and time, for the checks' counts of today's and the last minute's orders.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:00:00.000000
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Built concurrently, so a release does not hold up order placement while it reads the table.
        with op.get_context().autocommit_block():
            op.create_index('ix_orders_user_id_created_at', 'orders', ['user_id', 'created_at'], unique=False,
                            postgresql_concurrently=True)
            # The new index leads with user_id, so it serves every lookup the old one did.
            op.drop_index('ix_orders_user_id', table_name='orders', postgresql_concurrently=True)
        return
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_orders_user_id')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_user_id', ['user_id'], unique=False)
        batch_op.drop_index('ix_orders_user_id_created_at')
