"""Market data and scheduler: data source health, position open times, which scheduler ran each job.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 21:49:51.779861
"""
from alembic import op
import sqlalchemy as sa
import app.models.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_sources',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('degraded_since', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_success_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_sources'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=128), nullable=True))

    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', app.models.types.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_column('opened_at')

    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('runner')

    op.drop_table('data_sources')
