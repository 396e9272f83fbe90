"""review's tables (migrations/versions/0002_review_cases.py creates them, 0004 the attachments)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, Integer, String, Text, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.attachments import AttachmentColumns


class Base(DeclarativeBase):
    pass


class Case(Base):
    """One review case; ``level`` + ``desk_region`` is the desk (queue) it waits at."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_ref: Mapped[str] = mapped_column(String(200), unique=True)
    producer: Mapped[str] = mapped_column(String(40))
    case_type: Mapped[str] = mapped_column(String(80))
    lane: Mapped[str] = mapped_column(String(30), default="standard")
    enterprise_id: Mapped[str] = mapped_column(String(64))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(10))  # active / waiting / done
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    step_key: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    desk_region: Mapped[str] = mapped_column(String(6))
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    accepted: Mapped[bool] = mapped_column(default=False)
    # 受理 or 补正 is due by this day (行政许可法 第三十二条); set while the case waits for 受理
    acceptance_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    # 容缺受理: [{code, name, deadline}] the enterprise still owes (latest revision's request)
    owed: Mapped[list | None] = mapped_column(JSON, nullable=True)
    deemed_accepted: Mapped[bool] = mapped_column(default=False)  # accepted by law, not by a reviewer
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clock_started_on: Mapped[date] = mapped_column(Date)
    limit_days: Mapped[int] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)  # working days of closed pauses
    paused_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_date: Mapped[date] = mapped_column(Date)
    overdue: Mapped[bool] = mapped_column(default=False)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)


class Revision(Base):
    """What the producer submitted, once per revision (1, then one per resubmission)."""

    __tablename__ = "case_revisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    revision: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict] = mapped_column(JSON)
    attachments: Mapped[list] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Opinion(Base):
    """One line of 审核历史; append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "opinions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    step_key: Mapped[str] = mapped_column(String(40))
    step_label: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(20))     # 审核结果
    handling: Mapped[str] = mapped_column(String(80))   # 处理方式
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewer_name: Mapped[str] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Correction(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    revision: Mapped[int] = mapped_column(Integer)
    items: Mapped[list] = mapped_column(JSON)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Rectification(Base):
    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    items: Mapped[list] = mapped_column(JSON)          # [{name, requirement}]
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))    # open / submitted / closed / escalated
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # views of its Attachment rows
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Delegation(Base):
    """From ``from_reviewer`` to ``to_reviewer`` between two dates (leave, retirement)."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    from_reviewer: Mapped[str] = mapped_column(String(64), index=True)
    to_reviewer: Mapped[str] = mapped_column(String(64), index=True)
    to_name: Mapped[str] = mapped_column(String(80), default="")
    level: Mapped[str] = mapped_column(String(10))
    desk_region: Mapped[str] = mapped_column(String(6))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Campaign(Base):
    """A self-inspection campaign (自查) for one business type."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    business_type: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    form: Mapped[list] = mapped_column(JSON)
    deadline: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(String(6))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CampaignTarget(Base):
    __tablename__ = "campaign_targets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(20), default="todo")  # todo / submitted
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Attachment(AttachmentColumns, Base):
    """A file the enterprise gave review itself: 整改 evidence or a 自查 material.

    ``case_id`` is the case whose reviewers may read it (set once a self-inspection is sent);
    ``owner_ref`` is the rectification id or the campaign target id it belongs to.
    """

    __tablename__ = "attachments"

    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    purpose: Mapped[str] = mapped_column(String(30))   # rectification / self_inspection
    owner_ref: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")


class DeskBacklogDay(Base):
    """One desk's open / unclaimed / waiting / overdue counts on one (Beijing) day, refreshed by
    every sweep of that day (the 统计看板's backlog over time; migration 0007_h5_desk_backlog)."""

    __tablename__ = "desk_backlog_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    desk_region: Mapped[str] = mapped_column(String(6), primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)
    unclaimed: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
