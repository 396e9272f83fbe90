"""permits: records_rechecks — the background re-check's per-enterprise mutex and the records
version it last judged on (issue 13: re-checks never bump an application's version)

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "records_rechecks",
        sa.Column("enterprise_id", sa.Uuid, primary_key=True),
        sa.Column("records_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rechecked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    op.drop_table("records_rechecks")
