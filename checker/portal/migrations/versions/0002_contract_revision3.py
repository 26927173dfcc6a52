"""Records as the contract's Revision 3: the call to the rescuers, the fund decision, the funding
plan, and the works (更新、改造、修理项目).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entrapments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rescue_unit_id', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cause', sa.Text(), nullable=True))
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.Text(), nullable=True))
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('funding_plan_on', sa.Date(), nullable=True))
    op.create_table('works',
    sa.Column('work_id', sa.Text(), nullable=False),
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('assessment_id', sa.Text(), nullable=True),
    sa.Column('cost', sa.Double(), nullable=True),
    sa.Column('funding', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('work_id', name=op.f('pk_works'))
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_elevator_id'), ['elevator_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_elevator_id'))
    op.drop_table('works')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('funding_plan_on')
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.drop_column('decision')
        batch_op.drop_column('decided_on')
    with op.batch_alter_table('entrapments', schema=None) as batch_op:
        batch_op.drop_column('cause')
        batch_op.drop_column('rescue_unit_id')
        batch_op.drop_column('notified_at')
