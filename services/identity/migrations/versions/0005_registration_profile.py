"""identity: when the enterprise submitted registration step 2 (its profile lives in enterprise)

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("profile_submitted_at", sa.DateTime(timezone=True),
                                        nullable=True))


def downgrade():
    op.drop_column("accounts", "profile_submitted_at")
