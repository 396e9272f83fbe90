"""identity: person accounts (个人用户) keep their ID document; login is the normalised number

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("id_type", sa.String(20), nullable=True))
    op.add_column("accounts", sa.Column("id_number", sa.String(64), nullable=True))
    op.create_unique_constraint("uq_accounts_id_number", "accounts", ["id_number"])


def downgrade():
    op.drop_constraint("uq_accounts_id_number", "accounts", type_="unique")
    op.drop_column("accounts", "id_number")
    op.drop_column("accounts", "id_type")
