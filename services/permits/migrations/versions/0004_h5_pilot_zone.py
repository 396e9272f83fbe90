"""permits: credit_records.free_trade_zone — the admin-recorded 自贸区 pilot-zone membership
the 自贸区 lane requires (issue 15 item 9)

Revision ID: 0004_h5_pilot_zone
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_h5_pilot_zone"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "credit_records",
        sa.Column("free_trade_zone", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("credit_records", "free_trade_zone")
