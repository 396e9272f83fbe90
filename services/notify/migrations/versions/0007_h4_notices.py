"""notify: 通知公告 (notices administrators publish; withdrawn ones stay on record)

Revision ID: 0007_h4_notices
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_h4_notices"
down_revision = "0006_h3_renewal_window"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notices",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("publisher_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_notices_published_at", "notices", ["published_at"])


def downgrade():
    op.drop_index("ix_notices_published_at", table_name="notices")
    op.drop_table("notices")
