"""review: cases, revisions, append-only opinions, corrections, rectifications, delegations,
self-inspection campaigns, audit log; the queue indexes

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    create_audit_table(op.get_bind())
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("case_ref", sa.String(200), nullable=False, unique=True),
        sa.Column("producer", sa.String(40), nullable=False),
        sa.Column("case_type", sa.String(80), nullable=False),
        sa.Column("lane", sa.String(30), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(10), nullable=False),
        sa.Column("step_index", sa.Integer, nullable=False),
        sa.Column("step_key", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("desk_region", sa.String(6), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_name", sa.String(80)),
        _when("claimed_at"),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.false()),
        _when("received_at", nullable=False),
        sa.Column("clock_started_on", sa.Date, nullable=False),
        sa.Column("limit_days", sa.Integer, nullable=False),
        sa.Column("extension_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("extension_reason", sa.Text),
        sa.Column("paused_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("paused_since", sa.Date),
        sa.Column("pause_reason", sa.String(200)),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decision", sa.String(20)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("closed_outcome", sa.String(20)),
        sa.Column("closed_reason", sa.Text),
        _when("decided_at"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    # The queue pages: one desk (level + region), one queue, in the chosen order, keyset by id.
    op.create_index("ix_cases_desk_received", "cases",
                    ["level", "desk_region", "queue", "received_at", "id"])
    op.create_index("ix_cases_desk_due", "cases", ["level", "desk_region", "queue", "due_date", "id"])
    op.create_index("ix_cases_desk_updated", "cases",
                    ["level", "desk_region", "queue", "updated_at", "id"])
    op.create_index("ix_cases_claimed", "cases", ["claimed_by", "queue", "received_at", "id"])
    op.create_index("ix_cases_enterprise", "cases", ["enterprise_id", "received_at"])
    # The overdue sweep reads only active cases not yet flagged.
    op.create_index("ix_cases_overdue_sweep", "cases", ["due_date"],
                    postgresql_where=sa.text("queue = 'active' AND NOT overdue"))
    op.create_table(
        "case_revisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        _when("submitted_at", nullable=False),
        sa.UniqueConstraint("case_id", "revision", name="uq_case_revisions_case_revision"),
    )
    op.create_index("ix_case_revisions_case_id", "case_revisions", ["case_id"])
    op.create_table(
        "opinions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("step_key", sa.String(40), nullable=False),
        sa.Column("step_label", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("handling", sa.String(80), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("reviewer_id", sa.String(64)),
        sa.Column("reviewer_name", sa.String(80), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_opinions_case_id", "opinions", ["case_id", "id"])
    op.execute("""
        CREATE FUNCTION opinions_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'opinions are append-only'; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER opinions_append_only BEFORE UPDATE OR DELETE ON opinions
            FOR EACH ROW EXECUTE FUNCTION opinions_append_only();
    """)
    op.create_table(
        "corrections",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("resolved_revision", sa.Integer),
    )
    op.create_index("ix_corrections_case_id", "corrections", ["case_id"])
    op.create_table(
        "rectifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("statement", sa.Text),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        _when("submitted_at"),
        _when("resolved_at"),
    )
    op.create_index("ix_rectifications_case_id", "rectifications", ["case_id"])
    op.create_table(
        "delegations",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("from_reviewer", sa.String(64), nullable=False),
        sa.Column("to_reviewer", sa.String(64), nullable=False),
        sa.Column("to_name", sa.String(80), nullable=False, server_default=""),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("desk_region", sa.String(6), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        _when("revoked_at"),
    )
    op.create_index("ix_delegations_from", "delegations", ["from_reviewer"])
    op.create_index("ix_delegations_to", "delegations", ["to_reviewer"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("business_type", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("campaign_id", sa.Uuid, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("case_id", sa.Uuid),
        _when("submitted_at"),
        sa.UniqueConstraint("campaign_id", "enterprise_id", name="uq_campaign_targets"),
    )
    op.create_index("ix_campaign_targets_enterprise", "campaign_targets", ["enterprise_id"])


def downgrade():
    for table in ("campaign_targets", "campaigns", "delegations", "rectifications", "corrections",
                  "opinions", "case_revisions", "cases", "audit_log"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS opinions_append_only()")
