"""Records as the contract (Revision 2), users, batches, settings.

One table per record type of schemas/ as of contract Revision 2, frozen here: a change
to the contract is a new revision beside this one (tests/test_portal_migrations.py fails
until there is one).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alarm_tests',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('alarm_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_tests_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('assessments',
    sa.Column('assessment_id', sa.Text(), nullable=False),
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('working_group_on', sa.Date(), nullable=True),
    sa.Column('plan_on', sa.Date(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('daily_checks',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('inspector', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('daily_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_checks_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('drills',
    sa.Column('use_unit_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('elevator_ids', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drills_use_unit_id'), ['use_unit_id'], unique=False)

    op.create_table('elevators',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('registration_no', sa.Text(), nullable=True),
    sa.Column('rescue_code', sa.Text(), nullable=True),
    sa.Column('district', sa.Text(), nullable=False),
    sa.Column('subdistrict', sa.Text(), nullable=True),
    sa.Column('community', sa.Text(), nullable=False),
    sa.Column('commissioned_on', sa.Date(), nullable=False),
    sa.Column('use_unit_id', sa.Text(), nullable=False),
    sa.Column('maintenance_unit_id', sa.Text(), nullable=False),
    sa.Column('manufacturer_id', sa.Text(), nullable=True),
    sa.Column('residential', sa.Boolean(), nullable=True),
    sa.Column('affordable_housing', sa.Boolean(), nullable=True),
    sa.Column('households_served', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('elevator_id', name=op.f('pk_elevators'))
    )
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elevators_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevators_maintenance_unit_id'), ['maintenance_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevators_rescue_code'), ['rescue_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevators_use_unit_id'), ['use_unit_id'], unique=False)

    op.create_table('emergency_plans',
    sa.Column('use_unit_id', sa.Text(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('emergency_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_plans_use_unit_id'), ['use_unit_id'], unique=False)

    op.create_table('entrapments',
    sa.Column('incident_id', sa.Text(), nullable=False),
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('trapped', sa.BigInteger(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_entrapments'))
    )
    with op.batch_alter_table('entrapments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entrapments_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('fund_applications',
    sa.Column('application_id', sa.Text(), nullable=False),
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('assessment_id', sa.Text(), nullable=True),
    sa.Column('amount', sa.Double(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_fund_applications'))
    )
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_applications_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('hazards',
    sa.Column('hazard_id', sa.Text(), nullable=False),
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('assessment_id', sa.Text(), nullable=True),
    sa.Column('severity', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('rectified_on', sa.Date(), nullable=True),
    sa.Column('listed_on', sa.Date(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hazard_id', name=op.f('pk_hazards'))
    )
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazards_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('inspections',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('report_no', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('maintenance',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('maintenance_unit_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('on_site', sa.Boolean(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('maintenance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_elevator_id'), ['elevator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_maintenance_unit_id'), ['maintenance_unit_id'], unique=False)

    op.create_table('monthly_dispatches',
    sa.Column('use_unit_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('chair', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('monthly_dispatches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_dispatches_use_unit_id'), ['use_unit_id'], unique=False)

    op.create_table('organizations',
    sa.Column('org_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('maintenance_star', sa.BigInteger(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_organizations'))
    )
    op.create_table('portal_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.String(length=100), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('records', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_batches'))
    )
    op.create_table('portal_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_portal_settings'))
    )
    op.create_table('portal_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=100), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_users')),
    sa.UniqueConstraint('name', name=op.f('uq_portal_users_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_users_token_hash'))
    )
    op.create_table('screenings',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('risk_level', sa.Text(), nullable=False),
    sa.Column('report_no', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screenings_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('stop_periods',
    sa.Column('elevator_id', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('stop_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stop_periods_elevator_id'), ['elevator_id'], unique=False)

    op.create_table('weekly_reviews',
    sa.Column('use_unit_id', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('director', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('weekly_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_reviews_use_unit_id'), ['use_unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('weekly_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_reviews_use_unit_id'))

    op.drop_table('weekly_reviews')
    with op.batch_alter_table('stop_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stop_periods_elevator_id'))

    op.drop_table('stop_periods')
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screenings_elevator_id'))

    op.drop_table('screenings')
    op.drop_table('portal_users')
    op.drop_table('portal_settings')
    op.drop_table('portal_batches')
    op.drop_table('organizations')
    with op.batch_alter_table('monthly_dispatches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_dispatches_use_unit_id'))

    op.drop_table('monthly_dispatches')
    with op.batch_alter_table('maintenance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_maintenance_unit_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_elevator_id'))

    op.drop_table('maintenance')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_elevator_id'))

    op.drop_table('inspections')
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazards_elevator_id'))

    op.drop_table('hazards')
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_applications_elevator_id'))

    op.drop_table('fund_applications')
    with op.batch_alter_table('entrapments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entrapments_elevator_id'))

    op.drop_table('entrapments')
    with op.batch_alter_table('emergency_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_plans_use_unit_id'))

    op.drop_table('emergency_plans')
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elevators_use_unit_id'))
        batch_op.drop_index(batch_op.f('ix_elevators_rescue_code'))
        batch_op.drop_index(batch_op.f('ix_elevators_maintenance_unit_id'))
        batch_op.drop_index(batch_op.f('ix_elevators_district'))

    op.drop_table('elevators')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drills_use_unit_id'))

    op.drop_table('drills')
    with op.batch_alter_table('daily_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_checks_elevator_id'))

    op.drop_table('daily_checks')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_elevator_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('alarm_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_tests_elevator_id'))

    op.drop_table('alarm_tests')
