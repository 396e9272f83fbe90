"""permits: applications (optimistic locking), history, attachments, owed materials, batches,
licences and their number counters, the local credit register, audit log

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", tz, nullable=False, server_default=sa.func.now()),
        sa.Column("submitted_at", tz),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("enterprise_uscc", sa.String(18), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("type_code", sa.String(40), nullable=False),
        sa.Column("transaction_kind", sa.String(30), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("lane", sa.String(20), nullable=False),
        sa.Column("nature", sa.String(20)),
        sa.Column("submitter", sa.String(20)),
        sa.Column("original_licence_id", sa.Uuid),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("request_key", sa.String(64), unique=True),
        sa.Column("submit_key", sa.String(64), unique=True),
        sa.Column("precheck", sa.JSON),
        sa.Column("precheck_records_version", sa.Integer),
        sa.Column("prechecked_at", tz),
        sa.Column("owed_standards", sa.JSON, nullable=False),
        sa.Column("form_attachment_id", sa.Uuid),
        sa.Column("signed_scan_id", sa.Uuid),
        sa.Column("previewed_at", tz),
        sa.Column("commitment_opened_at", tz),
        sa.Column("committed_at", tz),
        sa.Column("submitted_at", tz),
        sa.Column("case_ref", sa.String(120), unique=True),
        sa.Column("case_id", sa.String(64)),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("review_step", sa.String(60)),
        sa.Column("correction_items", sa.JSON, nullable=False),
        sa.Column("correction_deadline", sa.Date),
        sa.Column("decision", sa.String(20)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("licence_id", sa.Uuid),
        sa.Column("batch_id", sa.Uuid, sa.ForeignKey("batches.id"), index=True),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", tz, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", tz, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "application_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Uuid, sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("at", tz, nullable=False, server_default=sa.func.now()),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_kind", sa.String(20)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(30)),
        sa.Column("to_state", sa.String(30)),
        sa.Column("note", sa.Text),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("uploaded_by", sa.String(64)),
        sa.Column("created_at", tz, nullable=False, server_default=sa.func.now()),
        sa.Column("application_id", sa.Uuid, index=True),
        sa.Column("licence_id", sa.Uuid, index=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("superseded_at", tz),
    )
    op.create_table(
        "owed_materials",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Uuid, sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("fulfilled_at", tz),
        sa.Column("defaulted_at", tz),
    )
    op.create_table(
        "licences",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, index=True),
        sa.Column("type_code", sa.String(40), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("holder_name", sa.String(200), nullable=False),
        sa.Column("holder_uscc", sa.String(18), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("first_issued_on", sa.Date),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("edition", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("replaced_by", sa.Uuid),
        sa.Column("verify_token", sa.String(64), nullable=False, unique=True),
        sa.Column("application_id", sa.Uuid),
        sa.Column("certificate_attachment_id", sa.Uuid),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("at_risk", sa.Text),
        sa.Column("created_at", tz, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "licence_sequences",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("type_code", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("last", sa.Integer, nullable=False),
        sa.UniqueConstraint("type_code", "year"),
    )
    op.create_table(
        "credit_records",
        sa.Column("enterprise_id", sa.Uuid, primary_key=True),
        sa.Column("rating", sa.String(10), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", tz, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "credit_defaults",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.Uuid, nullable=False, index=True),
        sa.Column("application_id", sa.Uuid),
        sa.Column("owed_material_id", sa.BigInteger, unique=True),
        sa.Column("what", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("recorded_at", tz, nullable=False, server_default=sa.func.now()),
    )
    create_audit_table(op.get_bind())


def downgrade():
    for table in ("audit_log", "credit_defaults", "credit_records", "licence_sequences", "licences",
                  "owed_materials", "attachments", "application_history", "applications", "batches"):
        op.drop_table(table)
