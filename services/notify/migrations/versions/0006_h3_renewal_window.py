"""notify: a licence's renewal window, as permits' licence events carry it (null: the default
90 / 30 days before expiry)

Revision ID: 0006_h3_renewal_window
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_h3_renewal_window"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("expiries", sa.Column("renewal_opens", sa.Date, nullable=True))
    op.add_column("expiries", sa.Column("renewal_closes", sa.Date, nullable=True))


def downgrade():
    op.drop_column("expiries", "renewal_closes")
    op.drop_column("expiries", "renewal_opens")
