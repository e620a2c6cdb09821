"""Initial schema: users, limits, connections, orders, positions, quotes, audit, flags, jobs, settings.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 21:17:55.785140
"""
from alembic import op
import sqlalchemy as sa
import app.models.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

AUDIT_APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql
"""
AUDIT_APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()
"""


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_name', sa.String(length=64), nullable=False),
    sa.Column('started_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('running', 'success', 'failed', 'skipped', name='joboutcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job_name'), ['job_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)

    op.create_table('quotes',
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('bid', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('ask', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('last', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('as_of', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('symbol', 'source', name=op.f('pk_quotes'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('trader', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('trading_mode', sa.Enum('paper', 'live', 'halted', name='tradingmode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mode_before_halt', sa.Enum('paper', 'live', 'halted', name='mode_before_halt', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('halted_reason', sa.String(length=500), nullable=True),
    sa.Column('halted_until', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paper_balance', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('totp_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('totp_enabled_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('risk_disclosure_accepted_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('risk_disclosure_version', sa.String(length=32), nullable=True),
    sa.Column('kyc_status', sa.Enum('none', 'pending', 'verified', 'rejected', name='kycstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), nullable=False),
    sa.Column('last_failed_login_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    # Case-insensitive uniqueness, on the expression so rows written outside the app are held to it too.
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_user_id'], ['users.id'], name=op.f('fk_audit_events_subject_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject_user_id'), ['subject_user_id'], unique=False)

    op.create_table('broker_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('broker', sa.Enum('paper', 'tradier', 'alpaca', 'zerodha', 'trading212', name='brokername', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('environment', sa.Enum('paper', 'sandbox', 'production', 'demo', 'live', name='brokerenvironment', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('credentials_encrypted', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('active', 'needs_login', 'error', 'disabled', name='connectionstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('last_verified_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_broker_connections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broker_connections'))
    )
    with op.batch_alter_table('broker_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_connections_user_id'), ['user_id'], unique=False)

    op.create_table('platform_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kill_switch_engaged', sa.Boolean(), nullable=False),
    sa.Column('kill_switch_reason', sa.String(length=500), nullable=True),
    sa.Column('kill_switch_changed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('kill_switch_changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_platform_settings_single_row')),
    sa.ForeignKeyConstraint(['kill_switch_changed_by_id'], ['users.id'], name=op.f('fk_platform_settings_kill_switch_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_settings'))
    )
    op.create_table('risk_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('max_position_size_percent', app.models.types.Amount(precision=9, scale=4), nullable=True),
    sa.Column('max_capital_at_risk_percent', app.models.types.Amount(precision=9, scale=4), nullable=True),
    sa.Column('max_open_positions', sa.Integer(), nullable=True),
    sa.Column('max_daily_loss_percent', app.models.types.Amount(precision=9, scale=4), nullable=True),
    sa.Column('max_weekly_loss_percent', app.models.types.Amount(precision=9, scale=4), nullable=True),
    sa.Column('min_dte', sa.Integer(), nullable=True),
    sa.Column('max_dte', sa.Integer(), nullable=True),
    sa.Column('max_order_value', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_trades_per_day', sa.Integer(), nullable=True),
    sa.Column('max_orders_per_minute', sa.Integer(), nullable=True),
    sa.Column('min_account_balance', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_daily_loss_amount', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_position_value', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_portfolio_delta', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_portfolio_theta', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('max_portfolio_vega', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_limits_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_limits')),
    sa.UniqueConstraint('user_id', name=op.f('uq_risk_limits_user_id'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('broker_order_id', sa.String(length=128), nullable=True),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('asset_class', sa.Enum('equity', 'option', name='assetclass', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('side', sa.Enum('buy', 'sell', name='orderside', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('order_type', sa.Enum('market', 'limit', 'stop', 'stop_limit', name='ordertype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('limit_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('stop_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('time_in_force', sa.Enum('day', 'gtc', name='timeinforce', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('denied', 'pending_submit', 'unknown', 'submitted', 'partially_filled', 'filled', 'pending_cancel', 'cancelled', 'rejected', 'expired', name='orderstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('trading_mode', sa.Enum('paper', 'live', 'halted', name='tradingmode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source', sa.Enum('dashboard', 'api', 'monitor', 'kill_switch', 'reconciliation', name='ordersource', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('filled_quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('avg_fill_price', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('commission', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('denial_code', sa.String(length=64), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_orders_connection_id_broker_connections'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('client_order_id', name=op.f('uq_orders_client_order_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_broker_order_id'), ['broker_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_user_id'), ['user_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('asset_class', sa.Enum('equity', 'option', name='assetclass', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('avg_price', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('realized_pnl', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('stop_loss', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('take_profit', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('trailing_stop_percent', app.models.types.Amount(precision=9, scale=4), nullable=True),
    sa.Column('high_water_mark', app.models.types.Amount(precision=24, scale=8), nullable=True),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['broker_connections.id'], name=op.f('fk_positions_connection_id_broker_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_positions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions')),
    sa.UniqueConstraint('connection_id', 'symbol', name='uq_positions_connection_symbol')
    )
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_positions_symbol'), ['symbol'], unique=False)
        batch_op.create_index(batch_op.f('ix_positions_user_id'), ['user_id'], unique=False)

    op.create_table('compliance_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', 'dismissed', name='flagstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_compliance_flags_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_compliance_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_compliance_flags_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_flags'))
    )
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_flags_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_compliance_flags_user_id'), ['user_id'], unique=False)

    op.create_table('order_fills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('fill_key', sa.String(length=128), nullable=False),
    sa.Column('quantity', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('price', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('commission', app.models.types.Amount(precision=24, scale=8), nullable=False),
    sa.Column('filled_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_fills_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_fills')),
    sa.UniqueConstraint('order_id', 'fill_key', name='uq_order_fills_order_fill_key')
    )

    if op.get_bind().dialect.name == "postgresql":
        # The audit trail is append-only for every client of the database, not only for the ORM.
        op.execute(AUDIT_APPEND_ONLY_FUNCTION)
        op.execute(AUDIT_APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_change()")
    op.drop_table('order_fills')
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_flags_user_id'))
        batch_op.drop_index(batch_op.f('ix_compliance_flags_status'))

    op.drop_table('compliance_flags')
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_positions_user_id'))
        batch_op.drop_index(batch_op.f('ix_positions_symbol'))

    op.drop_table('positions')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_user_id'))
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.drop_index(batch_op.f('ix_orders_connection_id'))
        batch_op.drop_index(batch_op.f('ix_orders_broker_order_id'))

    op.drop_table('orders')
    op.drop_table('risk_limits')
    op.drop_table('platform_settings')
    with op.batch_alter_table('broker_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_connections_user_id'))

    op.drop_table('broker_connections')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_table('users')
    op.drop_table('quotes')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))
        batch_op.drop_index(batch_op.f('ix_job_runs_job_name'))

    op.drop_table('job_runs')
