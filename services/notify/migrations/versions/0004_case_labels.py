"""notify: the labels of a case's fields and attachments (correction to-dos name them)

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("labels", sa.JSON, nullable=True))


def downgrade():
    op.drop_column("cases", "labels")
