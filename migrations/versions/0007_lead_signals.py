"""lead signals: the website behaviour a lead's score counted, so a re-score reads it too

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 19:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signals', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('signals')
