"""enterprise: basic info, rosters, projects, equipment, shareholding, attachments,
change requests, change history, audit log

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id():
    return sa.Column("id", sa.Uuid, primary_key=True)


def _enterprise():
    return sa.Column("enterprise_id", sa.Uuid, sa.ForeignKey("enterprises.id"), nullable=False,
                     index=True)


def _created():
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.func.now())


def upgrade():
    op.create_table(
        "enterprises",
        _id(),
        sa.Column("uscc", sa.String(18), nullable=False, unique=True),
        sa.Column("name", sa.String(100), index=True),
        sa.Column("enterprise_type", sa.String(40)),
        sa.Column("legal_person", sa.String(100)),
        sa.Column("legal_representative", sa.String(50)),
        sa.Column("registered_address", sa.String(200)),
        sa.Column("current_address", sa.String(200)),
        sa.Column("region_code", sa.String(6)),
        sa.Column("contact_name", sa.String(50)),
        sa.Column("contact_phone", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("registered_capital_wan", sa.Float),
        sa.Column("net_assets_wan", sa.Float),
        sa.Column("established_on", sa.Date),
        sa.Column("business_scope", sa.Text),
        sa.Column("parent_enterprise_id", sa.Uuid),
        sa.Column("parent_name", sa.String(100)),
        sa.Column("business_licence_id", sa.Uuid),
        sa.Column("legal_rep_id_id", sa.Uuid),
        sa.Column("profile_status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("profile_submitted_at", sa.DateTime(timezone=True)),
        sa.Column("records_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("imported", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("needs_completion", sa.Boolean, nullable=False, server_default=sa.false()),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "staff",
        _id(),
        sa.Column("enterprise_id", sa.Uuid, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_type", sa.String(20), nullable=False),
        sa.Column("id_number", sa.String(30), nullable=False),
        sa.Column("gender", sa.String(10)),
        sa.Column("education", sa.String(40)),
        sa.Column("mobile", sa.String(11)),
        sa.Column("title", sa.String(60)),
        sa.Column("title_level", sa.String(20)),
        sa.Column("skill_level", sa.String(20)),
        sa.Column("specialty", sa.String(60)),
        sa.Column("years_experience", sa.Integer),
        sa.Column("witness_phone", sa.String(11)),
        sa.Column("certificates", sa.JSON, nullable=False),
        sa.Column("work_experience", sa.JSON, nullable=False),
        sa.Column("training_history", sa.JSON, nullable=False),
        sa.Column("imported", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("needs_completion", sa.Boolean, nullable=False, server_default=sa.false()),
        _created(),
        sa.UniqueConstraint("enterprise_id", "id_number", name="uq_staff_id_number"),
    )
    op.create_index("ix_staff_roster", "staff", ["enterprise_id", "category", "row_no"])
    op.create_table(
        "projects",
        _id(),
        _enterprise(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("grade", sa.String(40)),
        sa.Column("voltage_kv", sa.Float),
        sa.Column("contract_amount_wan", sa.Float),
        sa.Column("length_km", sa.Float),
        sa.Column("started_on", sa.Date),
        sa.Column("completed_on", sa.Date),
        _created(),
    )
    op.create_table(
        "equipment",
        _id(),
        _enterprise(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(60)),
        sa.Column("model", sa.String(60)),
        sa.Column("quantity", sa.Integer, nullable=False),
        _created(),
    )
    op.create_table(
        "shareholders",
        _id(),
        _enterprise(),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("holder_kind", sa.String(30)),
        sa.Column("share_percent", sa.Float, nullable=False),
        _created(),
    )
    op.create_table(
        "attachments",
        _id(),
        _enterprise(),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("owner_section", sa.String(20)),
        sa.Column("owner_id", sa.Uuid, index=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("uploaded_by", sa.String(64)),
        _created(),
    )
    op.create_table(
        "change_requests",
        _id(),
        _enterprise(),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("requested_by", sa.String(64), nullable=False),
        _created(),
    )
    op.create_table(
        "change_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _enterprise(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("section", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(64)),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("field", sa.String(60)),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
    )
    create_audit_table(op.get_bind())


def downgrade():
    for table in ("audit_log", "change_history", "change_requests", "attachments", "shareholders",
                  "equipment", "projects", "staff", "enterprises"):
        op.drop_table(table)
