"""review: the 5-working-day acceptance deadline (《行政许可法》 第三十二条) and whether a case
was deemed accepted when it passed; a partial index for the sweep

Cases waiting for acceptance when this runs get their deadline from the day they were received.

Revision ID: 0005
"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from services.review import clock

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("acceptance_due", sa.Date))
    op.add_column("cases", sa.Column("deemed_accepted", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.create_index("ix_cases_acceptance_sweep", "cases", ["acceptance_due"],
                    postgresql_where=sa.text("status = 'submitted'"))
    bind = op.get_bind()
    calendar = clock.default_calendar()
    beijing = ZoneInfo("Asia/Shanghai")
    waiting = bind.execute(sa.text("SELECT id, received_at FROM cases WHERE status = 'submitted'")).all()
    for case_id, received_at in waiting:
        due = clock.acceptance_deadline(received_at.astimezone(beijing).date(), calendar)
        bind.execute(sa.text("UPDATE cases SET acceptance_due = :due WHERE id = :id"),
                     {"due": due, "id": case_id})


def downgrade():
    op.drop_index("ix_cases_acceptance_sweep", "cases")
    op.drop_column("cases", "deemed_accepted")
    op.drop_column("cases", "acceptance_due")
