"""Order pipeline: per-user client order ids, failed and external orders, equity baselines, greeks, concentration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 21:38:42.214013
"""
from alembic import op
import sqlalchemy as sa
import app.models.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_STATUSES = ("denied", "pending_submit", "unknown", "submitted", "partially_filled", "filled", "pending_cancel",
                "cancelled", "rejected", "expired")
OLD_SOURCES = ("dashboard", "api", "monitor", "kill_switch", "reconciliation")
NEW_STATUSES = OLD_STATUSES + ("failed",)
NEW_SOURCES = OLD_SOURCES + ("external",)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_order_checks(batch_op, statuses, sources):
    # Enum CHECK constraints are not seen by autogenerate; widening them is written out by hand.
    batch_op.drop_constraint(op.f("ck_orders_orderstatus"), type_="check")
    batch_op.drop_constraint(op.f("ck_orders_ordersource"), type_="check")
    batch_op.create_check_constraint("orderstatus", _in("status", statuses))
    batch_op.create_check_constraint("ordersource", _in("source", sources))


def upgrade():
    op.create_table('equity_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('day_open', 'week_open', 'day_close', name='snapshotkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('equity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_equity_snapshots_connection_id_broker_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_equity_snapshots_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equity_snapshots')),
    sa.UniqueConstraint('connection_id', 'kind', 'trading_day', name='uq_equity_snapshots_connection_kind_day')
    )
    with op.batch_alter_table('equity_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equity_snapshots_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_orders_client_order_id'), type_='unique')
        batch_op.create_unique_constraint('uq_orders_user_client_order_id', ['user_id', 'client_order_id'])
        batch_op.add_column(sa.Column('reference_price', app.models.types.Amount(precision=24, scale=8), nullable=True))
        _replace_order_checks(batch_op, NEW_STATUSES, NEW_SOURCES)

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delta', app.models.types.Amount(precision=24, scale=8), nullable=True))
        batch_op.add_column(sa.Column('gamma', app.models.types.Amount(precision=24, scale=8), nullable=True))
        batch_op.add_column(sa.Column('theta', app.models.types.Amount(precision=24, scale=8), nullable=True))
        batch_op.add_column(sa.Column('vega', app.models.types.Amount(precision=24, scale=8), nullable=True))
        batch_op.add_column(sa.Column('implied_volatility', app.models.types.Amount(precision=24, scale=8), nullable=True))

    with op.batch_alter_table('risk_limits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_symbol_concentration_percent', app.models.types.Amount(precision=9, scale=4), nullable=True))
        batch_op.add_column(sa.Column('max_weekly_loss_amount', app.models.types.Amount(precision=24, scale=8), nullable=True))

def downgrade():
    with op.batch_alter_table('risk_limits', schema=None) as batch_op:
        batch_op.drop_column('max_weekly_loss_amount')
        batch_op.drop_column('max_symbol_concentration_percent')

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_column('implied_volatility')
        batch_op.drop_column('vega')
        batch_op.drop_column('theta')
        batch_op.drop_column('gamma')
        batch_op.drop_column('delta')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint('uq_orders_user_client_order_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_orders_client_order_id'), ['client_order_id'])
        batch_op.drop_column('reference_price')
        _replace_order_checks(batch_op, OLD_STATUSES, OLD_SOURCES)

    with op.batch_alter_table('equity_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equity_snapshots_user_id'))

    op.drop_table('equity_snapshots')
