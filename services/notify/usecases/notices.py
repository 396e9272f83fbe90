"""通知公告: administrators publish notices, everyone (signed in or not) reads them, newest first.
A notice is never edited in place: withdrawing one hides it (audited), so what was published
stays on record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import Boolean, DateTime, String, Text, Uuid, func, select
from sqlalchemy.orm import Mapped, mapped_column

from services.common import audit
from services.common.errors import Forbidden, NotFound, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.notify.models import Base

LIMIT = 100
NOT_FOUND = "公告不存在或已撤回"


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(64))
    publisher_name: Mapped[str] = mapped_column(String(100), default="")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class NoticeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=2, max=100, error="标题应为2-100个字"),
                          error_messages={"required": "请填写标题"})
    body = fields.String(required=True, validate=validate.Length(min=2, max=5000, error="正文应为2-5000个字"),
                         error_messages={"required": "请填写正文"})


def notice_view(row: Notice, full: bool = True) -> dict[str, Any]:
    view = {"id": str(row.id), "title": row.title, "publisher_name": row.publisher_name,
            "published_at": row.published_at.isoformat() if row.published_at else None}
    view["body"] = row.body if full else row.body[:120]
    return view


def _admin(actor: dict | None) -> dict:
    if (actor or {}).get("kind") != "admin":
        raise Forbidden("只有管理员可以发布或撤回公告")
    return actor  # type: ignore[return-value]


def list_notices(db: Any) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        rows = uow.session.scalars(select(Notice).where(Notice.withdrawn.is_(False))
                                   .order_by(Notice.published_at.desc(), Notice.id).limit(LIMIT))
        return {"notices": [notice_view(r, full=False) for r in rows]}


def get_notice(db: Any, notice_id: str) -> dict[str, Any]:
    nid = uuid_or_not_found(notice_id, NOT_FOUND)
    with db.unit_of_work() as uow:
        row = uow.session.get(Notice, nid)
        if row is None or row.withdrawn:
            raise NotFound(NOT_FOUND)
        return notice_view(row)


def publish_notice(db: Any, actor: dict, payload: dict) -> dict[str, Any]:
    admin = _admin(actor)
    data = load_or_fail(NoticeSchema(), payload or {})
    with db.unit_of_work() as uow:
        row = Notice(id=uuid.uuid4(), title=data["title"].strip(), body=data["body"].strip(),
                     published_by=str(admin["id"]), publisher_name=str(admin.get("name") or "管理员")[:100])
        uow.session.add(row)
        uow.session.flush()
        audit.record(uow.session, "notify.notice_published", actor_id=str(admin["id"]),
                     subject_id=str(row.id))
        uow.session.refresh(row)
        view = notice_view(row)
        uow.commit()
        return view


def withdraw_notice(db: Any, actor: dict, notice_id: str) -> dict[str, Any]:
    admin = _admin(actor)
    nid = uuid_or_not_found(notice_id, NOT_FOUND)
    with db.unit_of_work() as uow:
        row = uow.session.get(Notice, nid, with_for_update=True)
        if row is None or row.withdrawn:
            raise NotFound(NOT_FOUND)
        row.withdrawn = True
        audit.record(uow.session, "notify.notice_withdrawn", actor_id=str(admin["id"]),
                     subject_id=str(row.id))
        uow.commit()
        return {"id": str(nid), "withdrawn": True}
