"""notify: one row per run of the reminder job; the timer's runs are unique per day

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder_runs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("sent_expiry", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_deadline", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("uq_reminder_runs_timer_day", "reminder_runs", ["day"], unique=True,
                    postgresql_where=sa.text("trigger = 'timer'"))


def downgrade():
    op.drop_index("uq_reminder_runs_timer_day", table_name="reminder_runs")
    op.drop_table("reminder_runs")
