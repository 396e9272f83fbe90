"""notify: recipients by module/desk, to-dos, projections, reminders, ratings, agency sequences

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _recipient_columns():
    return [
        sa.Column("recipient_id", sa.Uuid, index=True),
        sa.Column("module", sa.String(20)),
        sa.Column("desk", sa.String(40), index=True),
    ]


def upgrade():
    op.alter_column("messages", "recipient_id", nullable=True)
    op.add_column("messages", sa.Column("module", sa.String(20)))
    op.add_column("messages", sa.Column("desk", sa.String(40)))
    op.create_index("ix_messages_desk", "messages", ["desk"])
    op.create_table(
        "todos",
        sa.Column("id", sa.Uuid, primary_key=True),
        *_recipient_columns(),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subject_ref", sa.String(200), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("source_event_id", sa.Uuid),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("done_reason", sa.String(40)),
    )
    op.create_index("ix_todos_open", "todos", ["subject_ref", "kind"],
                    postgresql_where=sa.text("done_at IS NULL"))
    op.create_table(
        "enterprises",
        sa.Column("enterprise_id", sa.Uuid, primary_key=True),
        sa.Column("uscc", sa.String(18)),
        sa.Column("name", sa.String(200)),
        sa.Column("region_code", sa.String(6)),
        sa.Column("email", sa.String(254)),
        sa.Column("contact_name", sa.String(100)),
        sa.Column("registered_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "cases",
        sa.Column("case_ref", sa.String(200), primary_key=True),
        sa.Column("case_id", sa.Uuid),
        sa.Column("case_type", sa.String(80)),
        sa.Column("title", sa.String(300)),
        sa.Column("enterprise_id", sa.String(64)),
        sa.Column("decision", sa.String(20)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "expiries",
        sa.Column("subject_kind", sa.String(20), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("valid_until", sa.Date, nullable=False, index=True),
    )
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subject_ref", sa.String(200), nullable=False, index=True),
        sa.Column("recipient_id", sa.Uuid),
        sa.Column("module", sa.String(20)),
        sa.Column("desk", sa.String(40)),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("reminder_key", sa.String(80), nullable=False),
        sa.Column("for_date", sa.Date, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("subject_kind", "subject_id", "reminder_key"),
    )
    op.create_table(
        "rating_tokens",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("case_ref", sa.String(200)),
        sa.Column("business_type", sa.String(80)),
        sa.Column("title", sa.String(300)),
        sa.Column("reviewer_id", sa.String(64)),
        sa.Column("reviewer_name", sa.String(100)),
        sa.Column("desk", sa.String(40)),
        sa.Column("enterprise_id", sa.String(64)),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, index=True),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("case_ref", sa.String(200), index=True),
        sa.Column("business_type", sa.String(80)),
        sa.Column("reviewer_id", sa.String(64)),
        sa.Column("reviewer_name", sa.String(100)),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("mobile", sa.String(11), nullable=False, index=True),
        sa.Column("rater_account_id", sa.String(64)),
        sa.Column("case_decided_at", sa.DateTime(timezone=True)),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_ratings_score"),
    )
    op.create_table(
        "agency_sequences",
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
    )
    create_audit_table(op.get_bind())


def downgrade():
    op.drop_table("audit_log")
    for table in ("agency_sequences", "ratings", "rating_tokens", "reminders_sent", "deadlines",
                  "expiries", "cases", "enterprises", "todos"):
        op.drop_table(table)
    op.drop_index("ix_messages_desk", "messages")
    op.drop_column("messages", "desk")
    op.drop_column("messages", "module")

