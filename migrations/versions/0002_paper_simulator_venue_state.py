"""Paper simulator venue state: cash, holdings and orders per paper connection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:30:13.939258
"""
from alembic import op
import sqlalchemy as sa
import app.models.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_accounts',
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('cash', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_paper_accounts_connection_id_broker_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_paper_accounts'))
    )
    op.create_table('paper_holdings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('avg_price', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('asset_class', sa.Enum('equity', 'option', name='assetclass', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_paper_holdings_connection_id_broker_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_holdings')),
    sa.UniqueConstraint('connection_id', 'symbol', name='uq_paper_holdings_connection_symbol')
    )
    op.create_table('paper_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('side', sa.Enum('buy', 'sell', name='orderside', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('order_type', sa.Enum('market', 'limit', 'stop', 'stop_limit', name='ordertype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('time_in_force', sa.Enum('day', 'gtc', name='timeinforce', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('asset_class', sa.Enum('equity', 'option', name='assetclass', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('denied', 'pending_submit', 'unknown', 'submitted', 'partially_filled', 'filled', 'pending_cancel', 'cancelled', 'rejected', 'expired', name='orderstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('limit_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('stop_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('filled_quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('avg_fill_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('commission', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('stop_triggered', sa.Boolean(), nullable=False),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('placed_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_paper_orders_connection_id_broker_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_orders')),
    sa.UniqueConstraint('connection_id', 'client_order_id', name='uq_paper_orders_connection_client_order_id')
    )
    with op.batch_alter_table('paper_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_orders_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_orders_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('paper_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_orders_status'))
        batch_op.drop_index(batch_op.f('ix_paper_orders_connection_id'))

    op.drop_table('paper_orders')
    op.drop_table('paper_holdings')
    op.drop_table('paper_accounts')
