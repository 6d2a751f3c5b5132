"""grades: line items, results and the grade outbox

Revision ID: 3fde52d5c114
Revises: e31b39f4a5b4
Create Date: 2026-11-23 11:39:32.858181

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.base


# revision identifiers, used by Alembic.
revision = '3fde52d5c114'
down_revision = 'e31b39f4a5b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grade_line_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=600), nullable=False),
    sa.Column('platform_url', sa.String(length=1000), nullable=True),
    sa.Column('label', sa.String(length=400), nullable=False),
    sa.Column('resource_id', sa.String(length=255), nullable=True),
    sa.Column('tag', sa.String(length=255), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_grade_line_item_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_grade_line_item_resource_link_id_resource_link'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_line_item')),
    sa.UniqueConstraint('course_id', 'key', name=op.f('uq_grade_line_item_course_id_key'))
    )
    with op.batch_alter_table('grade_line_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_line_item_course_id'), ['course_id'], unique=False)

    op.create_table('grade_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('score_given', sa.Float(), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=True),
    sa.Column('activity_progress', sa.String(length=20), nullable=False),
    sa.Column('grading_progress', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('timestamp', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_item_id'], ['grade_line_item.id'], name=op.f('fk_grade_result_line_item_id_grade_line_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_grade_result_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_result')),
    sa.UniqueConstraint('line_item_id', 'person_id', name=op.f('uq_grade_result_line_item_id_person_id'))
    )
    with op.batch_alter_table('grade_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_result_line_item_id'), ['line_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_result_person_id'), ['person_id'], unique=False)

    op.create_table('grade_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('result_version', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('leased_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['line_item_id'], ['grade_line_item.id'], name=op.f('fk_grade_outbox_line_item_id_grade_line_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_grade_outbox_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_grade_outbox_platform_id_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['grade_result.id'], name=op.f('fk_grade_outbox_result_id_grade_result'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_outbox'))
    )
    with op.batch_alter_table('grade_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_grade_outbox_claim', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_grade_outbox_line_item_person', ['line_item_id', 'person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_outbox_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_outbox_result_id'), ['result_id'], unique=False)



def downgrade():
    with op.batch_alter_table('grade_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_outbox_result_id'))
        batch_op.drop_index(batch_op.f('ix_grade_outbox_platform_id'))
        batch_op.drop_index('ix_grade_outbox_line_item_person')
        batch_op.drop_index('ix_grade_outbox_claim')

    op.drop_table('grade_outbox')
    with op.batch_alter_table('grade_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_result_person_id'))
        batch_op.drop_index(batch_op.f('ix_grade_result_line_item_id'))

    op.drop_table('grade_result')
    with op.batch_alter_table('grade_line_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_line_item_course_id'))

    op.drop_table('grade_line_item')
