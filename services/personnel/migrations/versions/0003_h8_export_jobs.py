"""personnel: export_jobs — the 注册人员 Excel export as a background job (request, a page
that refreshes until the workbook is in object storage, download), so a large export or a cold
render worker never outlasts the gateway's RPC timeout

Revision ID: 0003_h8_export_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_h8_export_jobs"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("requested_by", sa.String(64), nullable=False, index=True),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer, nullable=True),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("storage_key", sa.String(300), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    op.drop_table("export_jobs")
