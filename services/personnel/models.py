"""personnel's tables: people, certificate records, declarations (optimistic locking), their
attachments, batches, commitment letters, report keys, transfers, appeals and the register of
passed exams. The audit log is the common one (services/common/audit.py).

Rules the database enforces itself (so two racing requests cannot both win):
- one person per (ID type, ID number);
- one live registration per person, certificate type and class (``uq_certificates_live``);
- one open declaration per certificate, and per enterprise/person/type/kind for new
  registrations (across enterprises the one-employer rule is checked under the person's row lock);
- one open transfer per certificate;
- a report's ``form_key`` answers once per enterprise (``report_keys``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.attachments import AttachmentColumns
from services.common.import_jobs import ImportJobMixin
from services.common.jobs import JobMixin

# Statuses of a certificate record that bind the person (domain.ACTIVE_REGISTRATION_STATUSES
# minus "declared", which lives on declarations).
LIVE_CERTIFICATE = "status IN ('valid', 'expired', 'transferring')"
# Declaration statuses that are over (declarations.FINAL_STATUSES).
OPEN_DECLARATION = "status NOT IN ('approved', 'rejected', 'withdrawn', 'deleted', 'terminated')"
OPEN_TRANSFER = "status NOT IN ('completed', 'returned', 'refused', 'rejected', 'cancelled')"


class Base(DeclarativeBase):
    pass


class Employer(Base):
    """The enterprises personnel has heard of (identity's account id, USCC, last known name):
    CIP 调出 names the new employer by its USCC."""

    __tablename__ = "employers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Person(Base):
    """人员基本信息: one row per real person, whoever employs them."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("id_type", "id_number", name="uq_people_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    id_type: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    gender: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[date] = mapped_column(Date)
    education: Mapped[str | None] = mapped_column(String(30), nullable=True)
    title: Mapped[str | None] = mapped_column(String(60), nullable=True)
    title_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    mobile: Mapped[str] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20), nullable=True)
    photo_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_by_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Certificate(Base):
    """A certificate record (注册证书 / 安管证书 / 电工证) of one person, held by one enterprise."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_live",
            "person_id",
            "type_code",
            text("coalesce(class_code, '')"),
            unique=True,
            postgresql_where=text(LIVE_CERTIFICATE),
        ),
        Index("ix_certificates_enterprise", "enterprise_id", "status"),
        Index("ix_certificates_valid_until", "valid_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("people.id"), index=True)
    type_code: Mapped[str] = mapped_column(String(40))
    class_code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    certificate_kind: Mapped[str] = mapped_column(String(30))
    registration_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    qualification_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    certificate_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    specialties: Mapped[list] = mapped_column(JSON, default=list)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    enterprise_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region_code: Mapped[str] = mapped_column(String(6), default="150000", index=True)
    transfer_to: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reissued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    history: Mapped[list] = mapped_column(JSON, default=list)  # [{at, action, note, declaration_id}]
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class Batch(Base):
    """申报批次: declarations reported together under one commitment letter."""

    __tablename__ = "batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    title: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Declaration(Base):
    """One certificate operation (申报) of one person; a review case once reported."""

    __tablename__ = "declarations"
    __table_args__ = (
        Index(
            "uq_declarations_open_certificate",
            "certificate_id",
            unique=True,
            postgresql_where=text(f"certificate_id IS NOT NULL AND {OPEN_DECLARATION}"),
        ),
        Index(
            "uq_declarations_open_new",
            "enterprise_id",
            "person_id",
            "type_code",
            "kind",
            unique=True,
            postgresql_where=text(f"certificate_id IS NULL AND {OPEN_DECLARATION}"),
        ),
        Index("ix_declarations_enterprise", "enterprise_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(String(6), default="150000")
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("people.id"), index=True)
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("certificates.id"), nullable=True
    )
    type_code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    case_type: Mapped[str] = mapped_column(String(80))
    origin: Mapped[str] = mapped_column(String(20), default="enterprise")
    status: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resume: Mapped[str | None] = mapped_column(String(30), nullable=True)
    levels: Mapped[list] = mapped_column(JSON, default=list)
    personal_withdrawal: Mapped[bool] = mapped_column(Boolean, default=False)
    form: Mapped[dict] = mapped_column(JSON, default=dict)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("batches.id"), nullable=True, index=True
    )
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    case_ref: Mapped[str] = mapped_column(String(120), unique=True)
    case_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    review_step: Mapped[str | None] = mapped_column(String(100), nullable=True)
    correction_items: Mapped[list] = mapped_column(JSON, default=list)
    correction_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawal: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    pre_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    qualification: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # 补正资质
    history: Mapped[list] = mapped_column(JSON, default=list)  # [{at, action, actor, status, note}]
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class Attachment(AttachmentColumns, Base):
    """A file of a declaration (by catalogue code), a person's photo, or appeal evidence."""

    __tablename__ = "attachments"

    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("declarations.id"), nullable=True, index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    appeal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Commitment(Base):
    """The commitment letter (企业承诺书) as the server showed it: the report waits from opened_at."""

    __tablename__ = "commitments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)  # the token
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    declaration_ids: Mapped[list] = mapped_column(JSON, default=list)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReportKey(Base):
    """A report's form_key and its answer: the same key again gets the same results."""

    __tablename__ = "report_keys"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    form_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    results: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Transfer(Base):
    """人员调转: CIP two-sided (调出 by the old employer, 调入 by the new) or TSA with consent."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("uq_transfers_open", "certificate_id", unique=True, postgresql_where=text(OPEN_TRANSFER)),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    certificate_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("certificates.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("people.id"))
    direction: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(20))  # two_sided / consent
    from_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    from_enterprise_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    to_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    to_enterprise_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    history: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Appeal(Base):
    """申辩: an anomaly a reviewer raised that the enterprise answers."""

    __tablename__ = "appeals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("people.id"))
    region_code: Mapped[str] = mapped_column(String(6), default="150000")
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    opinion: Mapped[str | None] = mapped_column(Text, nullable=True)
    history: Mapped[list] = mapped_column(JSON, default=list)
    raised_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExamPass(Base):
    """人社厅考试合格数据: passed exams that 初始注册 / 增项 are checked against."""

    __tablename__ = "exam_passes"
    __table_args__ = (
        UniqueConstraint("id_number", "specialty", "certificate_number", name="uq_exam_passes"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    id_number: Mapped[str] = mapped_column(String(40), index=True)
    specialty: Mapped[str] = mapped_column(String(60))
    certificate_number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    passed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExportJob(JobMixin, Base):
    """注册人员 Excel export made in the background (usecases/exports.py; the job's columns and
    statuses are services/common/jobs.py's): done when the workbook is in object storage."""

    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_actor_id", "actor_id"),)

    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(300), nullable=True)


class ImportJob(ImportJobMixin, Base):
    """An admin's background import with its progress and rejected rows (services/common/import_jobs.py)."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_created", "kind", "created_at"),)
