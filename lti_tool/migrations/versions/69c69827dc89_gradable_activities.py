"""Gradable activities: an evaluation or participation grade with its scoring rule and gradebook column.

Revision ID: 69c69827dc89
Revises: d194d0eb0717
Create Date: 2026-11-23 13:32:25.079567

"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

# revision identifiers, used by Alembic.
revision = "69c69827dc89"
down_revision = "d194d0eb0717"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gradable_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("line_item_id", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.Integer(), nullable=True),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.Column("last_computed_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["evaluation_checkpoint.id"],
            name=op.f("fk_gradable_activity_checkpoint_id_evaluation_checkpoint"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_gradable_activity_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["grade_line_item.id"],
            name=op.f("fk_gradable_activity_line_item_id_grade_line_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_link_id"],
            ["resource_link.id"],
            name=op.f("fk_gradable_activity_resource_link_id_resource_link"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradable_activity")),
        sa.UniqueConstraint(
            "course_id", "resource_link_id", name=op.f("uq_gradable_activity_course_id_resource_link_id")
        ),
    )
    with op.batch_alter_table("gradable_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gradable_activity_checkpoint_id"), ["checkpoint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gradable_activity_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gradable_activity_line_item_id"), ["line_item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("gradable_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gradable_activity_line_item_id"))
        batch_op.drop_index(batch_op.f("ix_gradable_activity_course_id"))
        batch_op.drop_index(batch_op.f("ix_gradable_activity_checkpoint_id"))
    op.drop_table("gradable_activity")
