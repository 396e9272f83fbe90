"""identity: remember the last accepted TOTP time step, so a code cannot be replayed

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("totp_last_step", sa.BigInteger, nullable=True))


def downgrade():
    op.drop_column("accounts", "totp_last_step")
