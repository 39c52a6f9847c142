"""calendar health: the latest read of each rep's own calendar (the console lists failures)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_health',
        sa.Column('rep_email', sa.String(length=320), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('rep_email'),
    )


def downgrade() -> None:
    op.drop_table('calendar_health')
