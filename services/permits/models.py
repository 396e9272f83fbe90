"""permits' tables: applications (optimistic locking), their history, attachments, owed
materials, batches, licences, the licence number counters and the local credit register."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
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
    false,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.attachments import AttachmentColumns


class Base(DeclarativeBase):
    pass


class Batch(Base):
    """申报批次 (CIP): applications grouped to be submitted (上报) together."""

    __tablename__ = "batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending 待上报 / submitted 已上报
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Application(Base):
    """One application (申报) for a type, transaction kind and one or more category/grade items."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 申报编号 shown to people
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    enterprise_uscc: Mapped[str] = mapped_column(String(18), default="")
    region_code: Mapped[str] = mapped_column(String(6), default="150000")
    type_code: Mapped[str] = mapped_column(String(40))
    # The catalogue version the draft was made under: its form, materials, pre-check, time limit
    # and review chain stay those of that version (services/permits/catalogue_store.py).
    catalogue_version_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("catalogue_versions.id"), nullable=True)
    transaction_kind: Mapped[str] = mapped_column(String(30))
    items: Mapped[list] = mapped_column(JSON, default=list)  # [{category, grade}]
    lane: Mapped[str] = mapped_column(String(20), default="normal")
    nature: Mapped[str | None] = mapped_column(String(20), nullable=True)
    submitter: Mapped[str | None] = mapped_column(String(20), nullable=True)
    original_licence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)  # 申报表 input fields
    state: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    submit_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    precheck: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    precheck_records_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prechecked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    owed_standards: Mapped[list] = mapped_column(JSON, default=list)  # 容缺: standard keys owed
    form_attachment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    signed_scan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    previewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    commitment_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    case_ref: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    review_step: Mapped[str | None] = mapped_column(String(60), nullable=True)
    correction_items: Mapped[list] = mapped_column(JSON, default=list)  # [{target, name, reason}]
    correction_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    licence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("batches.id"), nullable=True,
                                                       index=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())

    # A stale copy's UPDATE matches no row: StaleDataError, refused as a Conflict.
    __mapper_args__ = {"version_id_col": version}


class ApplicationHistory(Base):
    """Append-only: every state change and action on an application, who and when."""

    __tablename__ = "application_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Attachment(AttachmentColumns, Base):
    """Files of an application (申报表 PDF, signed scan, required materials) and certificates."""

    __tablename__ = "attachments"

    application_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    licence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    purpose: Mapped[str] = mapped_column(String(60))  # form, signed_scan, certificate, <attachment code>
    label: Mapped[str] = mapped_column(String(200), default="")
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OwedMaterial(Base):
    """容缺受理: a material accepted as owed, with the deadline to hand it in."""

    __tablename__ = "owed_materials"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("applications.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date] = mapped_column(Date)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    defaulted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Licence(Base):
    """One edition of a certificate; a replacement keeps the number and marks the old one replaced."""

    __tablename__ = "licences"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(60), index=True)
    type_code: Mapped[str] = mapped_column(String(40))
    items: Mapped[list] = mapped_column(JSON, default=list)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18))
    issued_on: Mapped[date] = mapped_column(Date)
    first_issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    edition: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    verify_token: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    certificate_attachment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    at_risk: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LicenceSequence(Base):
    """The counter behind licence numbers, per type and year (row-locked while issuing)."""

    __tablename__ = "licence_sequences"
    __table_args__ = (UniqueConstraint("type_code", "year"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    type_code: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ApplicationNumberCounter(Base):
    """The counter behind 申报编号 (SB + date + 5 digits), one row per day: taken by an atomic
    upsert in a transaction of its own (ApplicationRepository.next_number), so concurrent
    drafts never draw the same number; numbers of drafts that were then refused are gaps."""

    __tablename__ = "application_number_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CreditRecord(Base):
    """The local credit register (容缺受理 eligibility) an admin keeps until a credit service exists."""

    __tablename__ = "credit_records"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    rating: Mapped[str] = mapped_column(String(10))
    free_trade_zone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class CreditDefault(Base):
    """A missed owed-materials deadline: blocks 容缺受理 for two years."""

    __tablename__ = "credit_defaults"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    owed_material_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    what: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecordsRecheck(Base):
    """Per enterprise: the records version the background re-check last judged on (issue 13).

    The row is the re-checks' mutex (SELECT … FOR UPDATE): the re-checks of one enterprise
    queue up here, and only here, while they fetch the records; a records_changed event whose
    version is not newer than ``records_version`` is already covered and is skipped (a burst
    of 70 edits costs a handful of re-checks, not 70)."""

    __tablename__ = "records_rechecks"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    records_version: Mapped[int] = mapped_column(Integer, default=0)
    rechecked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SafetyRecord(Base):
    """A production-safety accident or a work-safety administrative penalty an admin recorded
    for a 安全生产许可证 holder (不再审查延期's condition; services/permits/safety_records.py)."""

    __tablename__ = "safety_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    licence_number: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))          # accident / penalty
    occurred_on: Mapped[date] = mapped_column(Date)
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CatalogueVersion(Base):
    """One version of one business-type catalogue file (``family``: the file's stem, e.g.
    ``pfl_power``); never changed once stored. One version per family is ``active``: the
    catalogue new drafts use. ``source``: ``shipped`` (the YAML in the code) or ``admin``
    (published on 业务目录维护)."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (
        UniqueConstraint("family", "number"),
        Index("catalogue_versions_one_active", "family", unique=True,
              postgresql_where=sql_text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family: Mapped[str] = mapped_column(String(60))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))  # shipped / admin
    status: Mapped[str] = mapped_column(String(10))  # active / retired
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the actor's id
    created_by_name: Mapped[str] = mapped_column(String(200), default="")  # as shown on the page
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    activated_by_name: Mapped[str] = mapped_column(String(200), default="")
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
