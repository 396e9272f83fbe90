"""permits: application_number_counters — 申报编号 drawn from a per-day counter by an atomic
upsert instead of counting the day's applications (two concurrent drafts drew one number and
the second got 409 under load, issue 17); seeded with each day's highest number so far

Revision ID: 0006_h8_application_numbers
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_h8_application_numbers"
down_revision = "0005_h5_safety_records"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "application_number_counters",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False, server_default="0"),
    )
    op.execute(
        """
        INSERT INTO application_number_counters (day, last)
        SELECT to_date(substr(number, 3, 8), 'YYYYMMDD'), max(substr(number, 11)::int)
        FROM applications
        WHERE number ~ '^SB[0-9]{13}$'
        GROUP BY 1
        """
    )


def downgrade():
    op.drop_table("application_number_counters")
