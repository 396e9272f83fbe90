"""enterprise: 变更记录 names who made a change (an approved 变更申请: the deciding reviewer and
desk); a 变更申请 keeps the new 营业执照 a name change carries

Revision ID: 0004_h7_change_actor_licence
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_h7_change_actor_licence"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("change_history", sa.Column("actor_name", sa.String(120), nullable=True))
    op.add_column("change_requests", sa.Column("licence_attachment_id", sa.Uuid, nullable=True))


def downgrade():
    op.drop_column("change_requests", "licence_attachment_id")
    op.drop_column("change_history", "actor_name")
