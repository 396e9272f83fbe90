"""review: attachments (整改 evidence, 自查 materials) stored in S3 under server-generated keys

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("uploaded_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id")),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("owner_ref", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
    )
    op.create_index("ix_attachments_enterprise_id", "attachments", ["enterprise_id"])
    op.create_index("ix_attachments_case_id", "attachments", ["case_id"])


def downgrade():
    op.drop_table("attachments")
