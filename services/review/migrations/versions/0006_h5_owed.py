"""review: cases.owed — what a 容缺受理 case still owes and by when, from the producer's
review_requested (issue 15 item 8)

Revision ID: 0006_h5_owed
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_h5_owed"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("owed", sa.JSON, nullable=True))


def downgrade():
    op.drop_column("cases", "owed")
