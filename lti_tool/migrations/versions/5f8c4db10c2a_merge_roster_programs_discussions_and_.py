"""merge roster, programs, discussions and grades

Revision ID: 5f8c4db10c2a
Revises: 3fde52d5c114, 5b8e2c7d9f10, 7c1f0b9a2d34, d4052e150a9b
Create Date: 2026-11-23 12:12:18.775785

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.base


# revision identifiers, used by Alembic.
revision = '5f8c4db10c2a'
down_revision = ('3fde52d5c114', '5b8e2c7d9f10', '7c1f0b9a2d34', 'd4052e150a9b')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
