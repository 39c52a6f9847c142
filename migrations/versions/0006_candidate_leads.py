"""candidate leads: an unconfirmed conversation never overwrites another person's lead

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('candidate_email', sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_candidate_of_id'), ['candidate_of_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_leads_candidate_of_id', 'leads', ['candidate_of_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint('fk_leads_candidate_of_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_leads_candidate_of_id'))
        batch_op.drop_column('candidate_email')
        batch_op.drop_column('candidate_of_id')
