"""enterprise's tables: basic info, rosters, projects, equipment, shareholding, attachments,
change requests and the change history."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.attachments import AttachmentColumns
from services.common.import_jobs import ImportJobMixin


class Base(DeclarativeBase):
    pass


class Enterprise(Base):
    """企业基本信息; ``id`` is identity's id of the enterprise main account."""

    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    enterprise_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    legal_person: Mapped[str | None] = mapped_column(String(100), nullable=True)
    legal_representative: Mapped[str | None] = mapped_column(String(50), nullable=True)
    registered_address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    current_address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    registered_capital_wan: Mapped[float | None] = mapped_column(Float, nullable=True)
    net_assets_wan: Mapped[float | None] = mapped_column(Float, nullable=True)
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    business_scope: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    parent_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    business_licence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    legal_rep_id_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    profile_status: Mapped[str] = mapped_column(String(20), default="draft")
    profile_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    records_version: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_completion: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class Staff(Base):
    """主要人员: one person in one category of an enterprise's roster."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("enterprise_id", "id_number", name="uq_staff_id_number"),
                      Index("ix_staff_roster", "enterprise_id", "category", "row_no"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"))
    row_no: Mapped[int] = mapped_column(Integer)  # order within its category, shown as 第N行
    category: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    id_type: Mapped[str] = mapped_column(String(20), default="resident_id")
    id_number: Mapped[str] = mapped_column(String(30))
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    education: Mapped[str | None] = mapped_column(String(40), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(11), nullable=True)
    title: Mapped[str | None] = mapped_column(String(60), nullable=True)
    title_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    skill_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    specialty: Mapped[str | None] = mapped_column(String(60), nullable=True)
    years_experience: Mapped[int | None] = mapped_column(Integer, nullable=True)
    witness_phone: Mapped[str | None] = mapped_column(String(11), nullable=True)
    certificates: Mapped[list] = mapped_column(JSON, default=list)
    work_experience: Mapped[list] = mapped_column(JSON, default=list)
    training_history: Mapped[list] = mapped_column(JSON, default=list)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_completion: Mapped[bool] = mapped_column(Boolean, default=False)
    # A licence holder's key staff join / leave through review (usecases/key_staff.py):
    # join_pending / leave_pending while the case runs, named by approval_ref.
    approval: Mapped[str | None] = mapped_column(String(20), nullable=True)
    approval_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Project(Base):
    """规定年限内主要业绩."""

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    grade: Mapped[str | None] = mapped_column(String(40), nullable=True)
    voltage_kv: Mapped[float | None] = mapped_column(Float, nullable=True)
    contract_amount_wan: Mapped[float | None] = mapped_column(Float, nullable=True)
    length_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Equipment(Base):
    __tablename__ = "equipment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(60), nullable=True)
    model: Mapped[str | None] = mapped_column(String(60), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Shareholder(Base):
    """股权结构: one holder and its share in percent."""

    __tablename__ = "shareholders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    holder: Mapped[str] = mapped_column(String(100))
    holder_kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    share_percent: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attachment(AttachmentColumns, Base):
    __tablename__ = "attachments"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    owner_section: Mapped[str | None] = mapped_column(String(20), nullable=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)


class ChangeRequest(Base):
    """变更申请 of locked fields; decided by review (pending until then)."""

    __tablename__ = "change_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    changes: Mapped[dict] = mapped_column(JSON)  # field -> {"old": .., "new": ..}
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the new 营业执照 a name change carries (services/enterprise/changes.py)
    licence_attachment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChangeHistory(Base):
    """变更记录: who changed which field when, old → new."""

    __tablename__ = "change_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(120), nullable=True)  # 操作人 when known
    section: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(20))  # update, create, delete
    field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)


class ImportJob(ImportJobMixin, Base):
    """An admin's background import with its progress and rejected rows (services/common/import_jobs.py)."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_created", "kind", "created_at"),)
