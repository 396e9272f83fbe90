"""enterprise: review's reason on a decided change request

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("change_requests", sa.Column("decision_reason", sa.Text, nullable=True))


def downgrade():
    op.drop_column("change_requests", "decision_reason")
