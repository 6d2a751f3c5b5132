"""Goals (milestones, comments, update log), meetings with occurrences, and calendar feed tokens

Revision ID: d194d0eb0717
Revises: 7ed6bd054119
Create Date: 2026-11-23 13:32:00.576172

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.base


# revision identifiers, used by Alembic.
revision = 'd194d0eb0717'
down_revision = '7ed6bd054119'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_fetched_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_calendar_feed_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('person_id', name=op.f('uq_calendar_feed_person_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('space_kind', sa.String(length=10), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_goal_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_goal_owner_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index('ix_goal_course_id_space', ['course_id', 'space_kind', 'space_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('space_kind', sa.String(length=10), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('agenda_html', sa.Text(), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=False),
    sa.Column('starts_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('occurrence_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('responded_by', sa.Integer(), nullable=True),
    sa.Column('responded_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_meeting_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by'], ['person.id'], name=op.f('fk_meeting_proposed_by_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaces_id'], ['meeting.id'], name=op.f('fk_meeting_replaces_id_meeting'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responded_by'], ['person.id'], name=op.f('fk_meeting_responded_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_course_id_space', ['course_id', 'space_kind', 'space_id'], unique=False)

    op.create_table('goal_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_goal_comment_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_comment_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_comment'))
    )
    with op.batch_alter_table('goal_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_comment_goal_id'), ['goal_id'], unique=False)

    op.create_table('goal_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_milestone_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_milestone'))
    )
    with op.batch_alter_table('goal_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_milestone_goal_id'), ['goal_id'], unique=False)

    op.create_table('goal_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('space_kind', sa.String(length=10), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('old_status', sa.String(length=12), nullable=True),
    sa.Column('new_status', sa.String(length=12), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_goal_update_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_update_goal_id_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_goal_update_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_update'))
    )
    with op.batch_alter_table('goal_update', schema=None) as batch_op:
        batch_op.create_index('ix_goal_update_course_id_space', ['course_id', 'space_kind', 'space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_update_goal_id'), ['goal_id'], unique=False)

    op.create_table('meeting_occurrence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('notes_html', sa.Text(), nullable=False),
    sa.Column('notes_by', sa.Integer(), nullable=True),
    sa.Column('notes_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cancelled_by'], ['person.id'], name=op.f('fk_meeting_occurrence_cancelled_by_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_occurrence_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notes_by'], ['person.id'], name=op.f('fk_meeting_occurrence_notes_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_occurrence')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_meeting_occurrence_meeting_id_position'))
    )
    with op.batch_alter_table('meeting_occurrence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_occurrence_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_occurrence_starts_at'), ['starts_at'], unique=False)



def downgrade():
    with op.batch_alter_table('meeting_occurrence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_occurrence_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meeting_occurrence_meeting_id'))

    op.drop_table('meeting_occurrence')
    with op.batch_alter_table('goal_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_update_goal_id'))
        batch_op.drop_index('ix_goal_update_course_id_space')

    op.drop_table('goal_update')
    with op.batch_alter_table('goal_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_milestone_goal_id'))

    op.drop_table('goal_milestone')
    with op.batch_alter_table('goal_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_comment_goal_id'))

    op.drop_table('goal_comment')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_course_id_space')

    op.drop_table('meeting')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index('ix_goal_course_id_space')

    op.drop_table('goal')
    op.drop_table('calendar_feed')
