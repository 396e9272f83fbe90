"""identity: registration review as a review case: the revision last sent to review, whether
that case is still open (not decided yet) and which step-2 submission it carries

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("registration_revision", sa.Integer, nullable=False,
                                        server_default="0"))
    op.add_column("accounts", sa.Column("registration_case_open", sa.Boolean, nullable=False,
                                        server_default=sa.false()))
    op.add_column("accounts", sa.Column("registration_case_profile_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("accounts", "registration_case_profile_at")
    op.drop_column("accounts", "registration_case_open")
    op.drop_column("accounts", "registration_revision")
