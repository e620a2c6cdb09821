"""Broker calls from every process, for the health page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 22:37:41.051799
"""
from alembic import op
import sqlalchemy as sa
import app.models.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('broker_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broker', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broker_calls'))
    )
    with op.batch_alter_table('broker_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_calls_at'), ['at'], unique=False)



def downgrade():
    with op.batch_alter_table('broker_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_calls_at'))

    op.drop_table('broker_calls')
