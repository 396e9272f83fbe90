"""review: outbox and processed-events tables

Revision ID: 0001
"""
from alembic import op

from services.common.messaging_tables import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_messaging_tables(op.get_bind())


def downgrade():
    op.drop_table("processed_events")
    op.drop_table("outbox")
