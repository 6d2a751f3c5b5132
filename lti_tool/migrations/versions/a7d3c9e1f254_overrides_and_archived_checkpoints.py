"""Results a coordinator typed are marked (regrading keeps them); checkpoints can be archived.

``grade_result.is_override`` is True for a score a coordinator gave (a reflection's grade or an override
of a computed score). Results recorded before this revision did not say so; the upgrade marks the ones
that can only have come from a coordinator:

* on an activity graded by hand (rule ``manual``), every result with a score;
* on any evaluation activity, a result with a comment (computed evaluation results never carry one);
* on a completion activity, a score other than the activity's maximum (completion gives full marks).

An override of an instrument score without a comment cannot be told from a computed score and stays
unmarked: a regrade after a rule change would recompute it (the coordinator sees it and can override again).

``evaluation_checkpoint.archived_at``: set while a checkpoint is archived (see the evaluations model).

Revision ID: a7d3c9e1f254
Revises: b2b06f5b8140
Create Date: 2026-11-24 10:12:40.512311

"""

import sqlalchemy as sa
from alembic import op

import lti_tool.models.base

# revision identifiers, used by Alembic.
revision = "a7d3c9e1f254"
down_revision = "b2b06f5b8140"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("grade_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_override", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("evaluation_checkpoint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archived_at", lti_tool.models.base.UTCDateTime(timezone=True), nullable=True)
        )

    result = sa.table(
        "grade_result",
        sa.column("line_item_id", sa.Integer),
        sa.column("score_given", sa.Float),
        sa.column("comment", sa.Text),
        sa.column("is_override", sa.Boolean),
    )
    activity = sa.table(
        "gradable_activity",
        sa.column("line_item_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("rule", sa.String),
        sa.column("score_maximum", sa.Float),
    )
    on_column = activity.c.line_item_id == result.c.line_item_id
    evaluation = activity.c.kind == "evaluation"
    typed = sa.or_(
        sa.and_(activity.c.rule == "manual", result.c.score_given.is_not(None)),
        sa.and_(result.c.comment.is_not(None), result.c.comment != ""),
        sa.and_(
            activity.c.rule == "completion",
            result.c.score_given.is_not(None),
            result.c.score_given != activity.c.score_maximum,
        ),
    )
    op.execute(
        result.update()
        .where(sa.exists(sa.select(sa.literal(1)).select_from(activity).where(on_column, evaluation, typed)))
        .values(is_override=sa.true())
    )


def downgrade():
    with op.batch_alter_table("evaluation_checkpoint", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("grade_result", schema=None) as batch_op:
        batch_op.drop_column("is_override")
