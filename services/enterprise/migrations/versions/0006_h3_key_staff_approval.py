"""enterprise: a licence holder's 技术负责人 / 安全负责人 join or leave through approval (seed 003
人员变更申请 入职/离职): the staff row carries the pending request and its review case

Revision ID: 0006_h3_key_staff_approval
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_h3_key_staff_approval"
down_revision = "0005_h3_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("staff", sa.Column("approval", sa.String(20), nullable=True))
    op.add_column("staff", sa.Column("approval_ref", sa.Uuid, nullable=True))
    op.create_index("ix_staff_approval_ref", "staff", ["approval_ref"], unique=True)


def downgrade():
    op.drop_index("ix_staff_approval_ref", table_name="staff")
    op.drop_column("staff", "approval_ref")
    op.drop_column("staff", "approval")
