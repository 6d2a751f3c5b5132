"""commitments to action per person: each mentee of a group writes their own

Creates ``prompt_commitment`` (one row per person and space), moves each stored commitment there (its
author is the progress row's ``completed_by``, its time the stage's ``completed_at``) and drops
``prompt_progress.commitment``. Stages already closed stay closed. Downgrade puts the earliest
commitment of each closed Conclusions stage back on its progress row.

Revision ID: b2b06f5b8140
Revises: 5e17e6399558
Create Date: 2026-11-24 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

# revision identifiers, used by Alembic.
revision = "b2b06f5b8140"
down_revision = "5e17e6399558"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prompt_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("space_kind", sa.String(length=10), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_prompt_commitment_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_prompt_commitment_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_commitment")),
        sa.UniqueConstraint(
            "course_id",
            "space_kind",
            "space_id",
            "person_id",
            name=op.f("uq_prompt_commitment_course_id_space_kind_space_id_person_id"),
        ),
    )
    with op.batch_alter_table("prompt_commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_commitment_person_id"), ["person_id"], unique=False)

    op.execute(
        "INSERT INTO prompt_commitment"
        " (course_id, space_kind, space_id, person_id, text, created_at, updated_at)"
        " SELECT course_id, space_kind, space_id, completed_by, commitment, completed_at, completed_at"
        " FROM prompt_progress"
        " WHERE stage_key = 'conclusions' AND commitment IS NOT NULL AND completed_by IS NOT NULL"
    )
    with op.batch_alter_table("prompt_progress", schema=None) as batch_op:
        batch_op.drop_column("commitment")


def downgrade():
    with op.batch_alter_table("prompt_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commitment", sa.Text(), nullable=True))
    op.execute(
        "UPDATE prompt_progress SET commitment = ("
        " SELECT c.text FROM prompt_commitment c"
        " WHERE c.course_id = prompt_progress.course_id AND c.space_kind = prompt_progress.space_kind"
        " AND c.space_id = prompt_progress.space_id"
        " ORDER BY c.created_at, c.id LIMIT 1"
        ") WHERE stage_key = 'conclusions'"
    )
    with op.batch_alter_table("prompt_commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_commitment_person_id"))

    op.drop_table("prompt_commitment")
