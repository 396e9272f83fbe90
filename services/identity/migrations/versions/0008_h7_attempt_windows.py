"""identity: attempt counters per client IP and per account in fixed windows (the login rate
limit, services/identity/attempt_limits.py)

Revision ID: 0008_h7_attempt_windows
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_h7_attempt_windows"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attempt_windows",
        sa.Column("scope", sa.String(10), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_attempt_windows_window_start", "attempt_windows", ["window_start"])


def downgrade():
    op.drop_index("ix_attempt_windows_window_start", table_name="attempt_windows")
    op.drop_table("attempt_windows")
