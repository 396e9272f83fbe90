"""personnel: employers, people, certificate records, declarations, attachments, batches, commitment
letters, report keys, transfers, appeals, the register of passed exams, audit log

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the models' conditions (a migration never imports the models).
OPEN_DECLARATION = "status NOT IN ('approved', 'rejected', 'withdrawn', 'deleted', 'terminated')"
OPEN_TRANSFER = "status NOT IN ('completed', 'returned', 'refused', 'rejected', 'cancelled')"
TABLES = (
    "attachments",
    "transfers",
    "declarations",
    "certificates",
    "appeals",
    "report_keys",
    "people",
    "exam_passes",
    "commitments",
    "batches",
)


def upgrade():
    op.create_table(
        "employers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_batches_enterprise_id"), "batches", ["enterprise_id"], unique=False)
    op.create_table(
        "commitments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_ids", sa.JSON(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_commitments_enterprise_id"), "commitments", ["enterprise_id"], unique=False)
    op.create_table(
        "exam_passes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=True),
        sa.Column("passed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number", "specialty", "certificate_number", name="uq_exam_passes"),
    )
    op.create_index(op.f("ix_exam_passes_id_number"), "exam_passes", ["id_number"], unique=False)
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_type", sa.String(length=20), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("education", sa.String(length=30), nullable=True),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("title_level", sa.String(length=20), nullable=True),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("ethnicity", sa.String(length=20), nullable=True),
        sa.Column("photo_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_type", "id_number", name="uq_people_id"),
    )
    op.create_index(op.f("ix_people_id_number"), "people", ["id_number"], unique=False)
    op.create_index(op.f("ix_people_name"), "people", ["name"], unique=False)
    op.create_table(
        "report_keys",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "form_key"),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_appeals_enterprise_id"), "appeals", ["enterprise_id"], unique=False)
    op.create_table(
        "certificates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("class_code", sa.String(length=4), nullable=True),
        sa.Column("certificate_kind", sa.String(length=30), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=True),
        sa.Column("qualification_number", sa.String(length=40), nullable=True),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("transfer_to", sa.Uuid(), nullable=True),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("reissued_on", sa.Date(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_certificates_enterprise", "certificates", ["enterprise_id", "status"], unique=False)
    op.create_index(op.f("ix_certificates_person_id"), "certificates", ["person_id"], unique=False)
    op.create_index(op.f("ix_certificates_region_code"), "certificates", ["region_code"], unique=False)
    op.create_index("ix_certificates_valid_until", "certificates", ["valid_until"], unique=False)
    op.create_table(
        "declarations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=True),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_type", sa.String(length=80), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("resume", sa.String(length=30), nullable=True),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("personal_withdrawal", sa.Boolean(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("case_ref", sa.String(length=120), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("review_step", sa.String(length=100), nullable=True),
        sa.Column("correction_items", sa.JSON(), nullable=False),
        sa.Column("correction_deadline", sa.Date(), nullable=True),
        sa.Column("withdrawal", sa.JSON(), nullable=True),
        sa.Column("pre_registered", sa.Boolean(), nullable=False),
        sa.Column("qualification", sa.JSON(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_ref"),
    )
    op.create_index(op.f("ix_declarations_batch_id"), "declarations", ["batch_id"], unique=False)
    op.create_index("ix_declarations_enterprise", "declarations", ["enterprise_id", "status"], unique=False)
    op.create_index(op.f("ix_declarations_person_id"), "declarations", ["person_id"], unique=False)
    op.create_index(
        "uq_declarations_open_certificate",
        "declarations",
        ["certificate_id"],
        unique=True,
        postgresql_where=sa.text(f"certificate_id IS NOT NULL AND {OPEN_DECLARATION}"),
    )
    op.create_index(
        "uq_declarations_open_new",
        "declarations",
        ["enterprise_id", "person_id", "type_code", "kind"],
        unique=True,
        postgresql_where=sa.text(f"certificate_id IS NULL AND {OPEN_DECLARATION}"),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("from_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("from_enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("to_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("to_enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_transfers_certificate_id"), "transfers", ["certificate_id"], unique=False)
    op.create_index(
        op.f("ix_transfers_from_enterprise_id"), "transfers", ["from_enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_transfers_to_enterprise_id"), "transfers", ["to_enterprise_id"], unique=False)
    op.create_index(
        "uq_transfers_open",
        "transfers",
        ["certificate_id"],
        unique=True,
        postgresql_where=sa.text(OPEN_TRANSFER),
    )
    op.create_table(
        "attachments",
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("declaration_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("appeal_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    op.create_index(op.f("ix_attachments_declaration_id"), "attachments", ["declaration_id"], unique=False)
    op.create_index(op.f("ix_attachments_enterprise_id"), "attachments", ["enterprise_id"], unique=False)

    # One live registration per person, type and class (NULL class counts as one value).
    op.execute(
        "CREATE UNIQUE INDEX uq_certificates_live ON certificates "
        "(person_id, type_code, coalesce(class_code, '')) "
        "WHERE status IN ('valid', 'expired', 'transferring')"
    )
    create_audit_table(op.get_bind())


def downgrade():
    op.drop_table("audit_log")
    for table in TABLES:
        op.drop_table(table)
