"""jobs: background work with progress (roster sync first)

Revision ID: 7c1f0b9a2d34
Revises: e31b39f4a5b4
Create Date: 2026-11-23 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.base


# revision identifiers, used by Alembic.
revision = '7c1f0b9a2d34'
down_revision = 'e31b39f4a5b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('message_key', sa.String(length=300), nullable=True),
    sa.Column('message_params', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_job_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], name=op.f('fk_job_created_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_job_dedupe_key'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_course_id_kind_status', ['course_id', 'kind', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_course_id_kind_status')

    op.drop_table('job')
