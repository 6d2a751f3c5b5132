"""Meeting occurrence: a date moved on its own keeps its original start, who moved it and their note

Revision ID: 8a3e5f1c2b7d
Revises: 4c0c7d8621ac
Create Date: 2026-11-23 16:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

# revision identifiers, used by Alembic.
revision = "8a3e5f1c2b7d"
down_revision = "4c0c7d8621ac"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting_occurrence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("original_starts_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("moved_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("move_note", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_occurrence_moved_by_person"), "person", ["moved_by"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("meeting_occurrence", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_occurrence_moved_by_person"), type_="foreignkey")
        batch_op.drop_column("move_note")
        batch_op.drop_column("moved_by")
        batch_op.drop_column("original_starts_at")
