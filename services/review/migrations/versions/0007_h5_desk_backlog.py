"""review: desk_backlog_days — each desk's open, unclaimed, waiting and overdue counts per day,
for the 统计看板's backlog over time (issue 16 item 11)

Revision ID: 0007_h5_desk_backlog
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_h5_desk_backlog"
down_revision = "0006_h5_owed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "desk_backlog_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("level", sa.String(10), primary_key=True),
        sa.Column("desk_region", sa.String(6), primary_key=True),
        sa.Column("active", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unclaimed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("waiting", sa.Integer, nullable=False, server_default="0"),
        sa.Column("overdue", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("desk_backlog_days")
