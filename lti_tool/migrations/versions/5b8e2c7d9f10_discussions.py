"""discussions: ground rules, forum topics, threads, posts, read markers, reports, moderation log

Revision ID: 5b8e2c7d9f10
Revises: e31b39f4a5b4
Create Date: 2026-11-23 11:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.base


# revision identifiers, used by Alembic.
revision = '5b8e2c7d9f10'
down_revision = 'e31b39f4a5b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discussion_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('moderated', sa.Boolean(), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_discussion_settings_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_settings')),
    sa.UniqueConstraint('course_id', name=op.f('uq_discussion_settings_course_id'))
    )
    op.create_table('forum_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('thread_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_forum_topic_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], name=op.f('fk_forum_topic_created_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_topic'))
    )
    with op.batch_alter_table('forum_topic', schema=None) as batch_op:
        batch_op.create_index('ix_forum_topic_course_id_position', ['course_id', 'position'], unique=False)

    op.create_table('ground_rules_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('moderated', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_ground_rules_version_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], name=op.f('fk_ground_rules_version_created_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ground_rules_version')),
    sa.UniqueConstraint('course_id', 'version', name=op.f('uq_ground_rules_version_course_id_version'))
    )
    with op.batch_alter_table('ground_rules_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ground_rules_version_course_id'), ['course_id'], unique=False)

    op.create_table('moderation_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('target_kind', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_moderation_log_actor_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_moderation_log_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_log'))
    )
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_log_course_id_id', ['course_id', 'id'], unique=False)

    op.create_table('discussion_thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('space_kind', sa.String(length=10), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=True),
    sa.Column('last_post_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(space_kind = 'forum' AND topic_id IS NOT NULL AND space_id IS NULL) OR (space_kind IN ('pair', 'group') AND topic_id IS NULL AND space_id IS NOT NULL)", name=op.f('ck_discussion_thread_space')),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_discussion_thread_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_discussion_thread_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['forum_topic.id'], name=op.f('fk_discussion_thread_topic_id_forum_topic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_thread'))
    )
    with op.batch_alter_table('discussion_thread', schema=None) as batch_op:
        batch_op.create_index('ix_discussion_thread_space', ['course_id', 'space_kind', 'space_id'], unique=False)
        batch_op.create_index('ix_discussion_thread_topic_id_last_post_at', ['topic_id', 'last_post_at', 'id'], unique=False)

    op.create_table('ground_rules_acceptance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_ground_rules_acceptance_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ground_rules_acceptance_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['ground_rules_version.id'], name=op.f('fk_ground_rules_acceptance_version_id_ground_rules_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ground_rules_acceptance')),
    sa.UniqueConstraint('version_id', 'person_id', name=op.f('uq_ground_rules_acceptance_version_id_person_id'))
    )
    with op.batch_alter_table('ground_rules_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ground_rules_acceptance_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ground_rules_acceptance_person_id'), ['person_id'], unique=False)

    op.create_table('discussion_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('deleted_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_discussion_post_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by'], ['person.id'], name=op.f('fk_discussion_post_hidden_by_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['discussion_thread.id'], name=op.f('fk_discussion_post_thread_id_discussion_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_post'))
    )
    with op.batch_alter_table('discussion_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discussion_post_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_discussion_post_thread_id_id', ['thread_id', 'id'], unique=False)

    op.create_table('discussion_read_marker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('last_read_post_id', sa.Integer(), nullable=False),
    sa.Column('participated', sa.Boolean(), nullable=False),
    sa.Column('updated_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_discussion_read_marker_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['discussion_thread.id'], name=op.f('fk_discussion_read_marker_thread_id_discussion_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_read_marker')),
    sa.UniqueConstraint('person_id', 'thread_id', name=op.f('uq_discussion_read_marker_person_id_thread_id'))
    )
    with op.batch_alter_table('discussion_read_marker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discussion_read_marker_thread_id'), ['thread_id'], unique=False)

    op.create_table('discussion_post_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_discussion_post_report_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['discussion_post.id'], name=op.f('fk_discussion_post_report_post_id_discussion_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['person.id'], name=op.f('fk_discussion_post_report_reporter_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by'], ['person.id'], name=op.f('fk_discussion_post_report_resolved_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_post_report'))
    )
    with op.batch_alter_table('discussion_post_report', schema=None) as batch_op:
        batch_op.create_index('ix_discussion_post_report_course_id_resolved_at', ['course_id', 'resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_discussion_post_report_post_id'), ['post_id'], unique=False)

    op.create_table('discussion_post_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.Column('replaced_at', lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['discussion_post.id'], name=op.f('fk_discussion_post_revision_post_id_discussion_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by'], ['person.id'], name=op.f('fk_discussion_post_revision_replaced_by_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_post_revision'))
    )
    with op.batch_alter_table('discussion_post_revision', schema=None) as batch_op:
        batch_op.create_index('ix_discussion_post_revision_post_id_id', ['post_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('discussion_post_revision', schema=None) as batch_op:
        batch_op.drop_index('ix_discussion_post_revision_post_id_id')

    op.drop_table('discussion_post_revision')
    with op.batch_alter_table('discussion_post_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discussion_post_report_post_id'))
        batch_op.drop_index('ix_discussion_post_report_course_id_resolved_at')

    op.drop_table('discussion_post_report')
    with op.batch_alter_table('discussion_read_marker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discussion_read_marker_thread_id'))

    op.drop_table('discussion_read_marker')
    with op.batch_alter_table('discussion_post', schema=None) as batch_op:
        batch_op.drop_index('ix_discussion_post_thread_id_id')
        batch_op.drop_index(batch_op.f('ix_discussion_post_author_id'))

    op.drop_table('discussion_post')
    with op.batch_alter_table('ground_rules_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ground_rules_acceptance_person_id'))
        batch_op.drop_index(batch_op.f('ix_ground_rules_acceptance_course_id'))

    op.drop_table('ground_rules_acceptance')
    with op.batch_alter_table('discussion_thread', schema=None) as batch_op:
        batch_op.drop_index('ix_discussion_thread_topic_id_last_post_at')
        batch_op.drop_index('ix_discussion_thread_space')

    op.drop_table('discussion_thread')
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_log_course_id_id')

    op.drop_table('moderation_log')
    with op.batch_alter_table('ground_rules_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ground_rules_version_course_id'))

    op.drop_table('ground_rules_version')
    with op.batch_alter_table('forum_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_topic_course_id_position')

    op.drop_table('forum_topic')
    op.drop_table('discussion_settings')
