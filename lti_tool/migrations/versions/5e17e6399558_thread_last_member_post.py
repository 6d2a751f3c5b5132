"""thread: the latest post by a member of the space (turn taking skips coordinators' posts)

Adds ``discussion_thread.last_member_post_id``/``last_member_post_at``/``last_member_author_id`` and fills
them for the existing pair and group threads: the latest post whose author is (or was) a member of the
thread's space — the pair's mentor or mentee, or anyone who has been in the group. Forum threads keep NULL.

Revision ID: 5e17e6399558
Revises: 8a3e5f1c2b7d
Create Date: 2026-11-24 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

# revision identifiers, used by Alembic.
revision = "5e17e6399558"
down_revision = "8a3e5f1c2b7d"
branch_labels = None
depends_on = None

# The person ids of a thread's space members, correlated with the outer ``discussion_thread`` row.
PAIR_MEMBERS = """
    SELECT m.person_id FROM mentorship ms
    JOIN program_participant pp ON pp.id = ms.mentee_id OR pp.id = ms.mentor_id
    JOIN membership m ON m.id = pp.membership_id
    WHERE ms.id = discussion_thread.space_id
"""
GROUP_MEMBERS = """
    SELECT m.person_id FROM group_member gm
    JOIN program_participant pp ON pp.id = gm.participant_id
    JOIN membership m ON m.id = pp.membership_id
    WHERE gm.group_id = discussion_thread.space_id
"""


def upgrade():
    with op.batch_alter_table("discussion_thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_member_post_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("last_member_post_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_member_author_id", sa.Integer(), nullable=True))

    for kind, members in (("pair", PAIR_MEMBERS), ("group", GROUP_MEMBERS)):
        op.execute(
            sa.text(
                "UPDATE discussion_thread SET last_member_post_id = ("
                " SELECT max(p.id) FROM discussion_post p"
                f" WHERE p.thread_id = discussion_thread.id AND p.author_id IN ({members})"
                ") WHERE space_kind = :kind"
            ).bindparams(kind=kind)
        )
    op.execute(
        "UPDATE discussion_thread SET"
        " last_member_post_at = (SELECT p.created_at FROM discussion_post p"
        " WHERE p.id = discussion_thread.last_member_post_id),"
        " last_member_author_id = (SELECT p.author_id FROM discussion_post p"
        " WHERE p.id = discussion_thread.last_member_post_id)"
        " WHERE last_member_post_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("discussion_thread", schema=None) as batch_op:
        batch_op.drop_column("last_member_author_id")
        batch_op.drop_column("last_member_post_at")
        batch_op.drop_column("last_member_post_id")
