"""sales outcomes, used one-click nonces and SLA escalations: what sales says happened to a lead, breaches escalated once

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sales_outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('callback_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=30), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('recorded_by', sa.String(length=320), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['callback_id'], ['callback_requests.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sales_outcomes_lead_recorded', 'sales_outcomes', ['lead_id', 'recorded_at'], unique=False)
    op.create_index(op.f('ix_sales_outcomes_meeting_id'), 'sales_outcomes', ['meeting_id'], unique=False)
    op.create_table(
        'used_nonces',
        sa.Column('nonce', sa.String(length=120), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['outcome_id'], ['sales_outcomes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('nonce'),
    )
    op.create_table(
        'sla_escalations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('breach', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('rep_email', sa.String(length=320), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalated_to', sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('breach'),
    )
    op.create_index(op.f('ix_sla_escalations_lead_id'), 'sla_escalations', ['lead_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sla_escalations_lead_id'), table_name='sla_escalations')
    op.drop_table('sla_escalations')
    op.drop_table('used_nonces')
    op.drop_index(op.f('ix_sales_outcomes_meeting_id'), table_name='sales_outcomes')
    op.drop_index('ix_sales_outcomes_lead_recorded', table_name='sales_outcomes')
    op.drop_table('sales_outcomes')
