"""permits: safety_records — accidents and work-safety penalties an admin records for
安全生产许可证 holders; 不再审查延期 is refused while one falls in the licence's period
(issue 15 item 10)

Revision ID: 0005_h5_safety_records
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_h5_safety_records"
down_revision = "0004_h5_pilot_zone"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "safety_records",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("holder_name", sa.String(200), nullable=False),
        sa.Column("licence_number", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("deaths", sa.Integer, nullable=False, server_default="0"),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(64)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("safety_records")
