"""The only code that queries enterprise's tables."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.search import LIKE_ESCAPE, contains_pattern
from services.enterprise.models import (
    Attachment,
    ChangeHistory,
    ChangeRequest,
    Enterprise,
    Equipment,
    Project,
    Shareholder,
    Staff,
)

SECTION_MODELS: dict[str, Any] = {"staff": Staff, "projects": Project, "equipment": Equipment,
                                  "shareholders": Shareholder}


class EnterpriseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- enterprises ------------------------------------------------------------------
    def get(self, enterprise_id: uuid.UUID, *, for_update: bool = False) -> Enterprise | None:
        query = select(Enterprise).where(Enterprise.id == enterprise_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_uscc(self, uscc: str) -> Enterprise | None:
        return self.session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).first()

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def ensure(self, enterprise_id: uuid.UUID, uscc: str, **fields: Any) -> tuple[Enterprise, bool]:
        """The enterprise row, created if missing (idempotent: event and step 2 may race)."""
        existing = self.get(enterprise_id, for_update=True)
        if existing is not None:
            return existing, False
        inserted = self.session.execute(
            pg_insert(Enterprise).values(id=enterprise_id, uscc=uscc, profile_status="draft",
                                         records_version=0, imported=False, needs_completion=False,
                                         **fields)
            .on_conflict_do_nothing(index_elements=["id"]).returning(Enterprise.id)).first()
        row = self.get(enterprise_id, for_update=True)
        assert row is not None  # inserted here, or by the concurrent call we waited for
        return row, inserted is not None

    def search_by_name(self, pattern: str, exclude: uuid.UUID | None,
                       limit: int = 20) -> list[tuple[str, str]]:
        query = select(Enterprise.id, Enterprise.name).where(
            Enterprise.name.is_not(None), Enterprise.name.ilike(pattern, escape="\\"))
        if exclude is not None:
            query = query.where(Enterprise.id != exclude)
        return [(str(r.id), r.name) for r in self.session.execute(query.limit(limit * 5)).all()]

    # ---- section records ----------------------------------------------------------------
    def record(self, section: str, record_id: uuid.UUID, *, for_update: bool = False) -> Any:
        model = SECTION_MODELS[section]
        query = select(model).where(model.id == record_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def delete_record(self, row: object) -> None:
        self.session.delete(row)
        self.session.flush()

    def list_section(self, section: str, enterprise_id: uuid.UUID, *, category: str | None = None,
                     q: str | None = None, offset: int = 0, limit: int | None = None,
                     count: bool = True) -> tuple[list, int]:
        """One page of a section and the total matching (``count=False``: the rows only, and
        their number as the total)."""
        model = SECTION_MODELS[section]
        where = [model.enterprise_id == enterprise_id]
        if section == "staff" and category:
            where.append(model.category == category)
        if q:
            like = contains_pattern(q)
            searchable = {"staff": (Staff.name, Staff.id_number, Staff.title, Staff.specialty,
                                    cast(Staff.certificates, String)),
                          "projects": (Project.name, Project.client, Project.grade),
                          "equipment": (Equipment.name, Equipment.kind, Equipment.model),
                          "shareholders": (Shareholder.holder,)}[section]
            where.append(or_(*[column.ilike(like, escape=LIKE_ESCAPE) for column in searchable]))
        total = (self.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
                 if count else None)
        order = {"staff": (Staff.category, Staff.row_no), "projects": (Project.created_at, Project.id),
                 "equipment": (Equipment.created_at, Equipment.id),
                 "shareholders": (Shareholder.created_at, Shareholder.id)}[section]
        query = select(model).where(*where).order_by(*order).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        rows = list(self.session.scalars(query))
        return rows, int(total) if total is not None else len(rows)

    def all_of(self, section: str, enterprise_id: uuid.UUID) -> list:
        return self.list_section(section, enterprise_id, count=False)[0]

    def staff_with_id_number(self, enterprise_id: uuid.UUID, id_number: str) -> Staff | None:
        return self.session.scalars(select(Staff).where(
            Staff.enterprise_id == enterprise_id, Staff.id_number == id_number)).first()

    def staff_row_of(self, staff: Staff) -> int:
        """The 1-based row a person is shown in within its category."""
        return int(self.session.execute(select(func.count()).select_from(Staff).where(
            Staff.enterprise_id == staff.enterprise_id, Staff.category == staff.category,
            Staff.row_no <= staff.row_no)).scalar_one())

    def next_row_no(self, enterprise_id: uuid.UUID, category: str) -> int:
        current = self.session.execute(select(func.max(Staff.row_no)).where(
            Staff.enterprise_id == enterprise_id, Staff.category == category)).scalar_one()
        return int(current or 0) + 1

    def staff_counts(self, enterprise_id: uuid.UUID) -> dict[str, int]:
        rows = self.session.execute(select(Staff.category, func.count()).where(
            Staff.enterprise_id == enterprise_id).group_by(Staff.category)).all()
        return {category: int(count) for category, count in rows}

    def shares_total(self, enterprise_id: uuid.UUID, exclude: uuid.UUID | None = None) -> float:
        query = select(func.coalesce(func.sum(Shareholder.share_percent), 0.0)).where(
            Shareholder.enterprise_id == enterprise_id)
        if exclude is not None:
            query = query.where(Shareholder.id != exclude)
        return float(self.session.execute(query).scalar_one())

    # ---- attachments -------------------------------------------------------------------
    def attachment(self, attachment_id: uuid.UUID) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)

    def attachments_of(self, enterprise_id: uuid.UUID, owner_ids: list[uuid.UUID] | None = None,
                       purpose: str | None = None) -> list[Attachment]:
        query = select(Attachment).where(Attachment.enterprise_id == enterprise_id)
        if owner_ids is not None:
            query = query.where(Attachment.owner_id.in_(owner_ids))
        if purpose is not None:
            query = query.where(Attachment.purpose == purpose)
        return list(self.session.scalars(query.order_by(Attachment.created_at)))

    def delete_attachments_of(self, owner_id: uuid.UUID) -> list[str]:
        keys = list(self.session.scalars(select(Attachment.storage_key).where(
            Attachment.owner_id == owner_id)))
        self.session.execute(delete(Attachment).where(Attachment.owner_id == owner_id))
        return keys

    # ---- change requests and history ----------------------------------------------------
    def change_requests(self, enterprise_id: uuid.UUID) -> list[ChangeRequest]:
        return list(self.session.scalars(select(ChangeRequest).where(
            ChangeRequest.enterprise_id == enterprise_id).order_by(ChangeRequest.created_at.desc())))

    def change_request(self, request_id: uuid.UUID, for_update: bool = False) -> ChangeRequest | None:
        query = select(ChangeRequest).where(ChangeRequest.id == request_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def pending_change_request(self, enterprise_id: uuid.UUID) -> ChangeRequest | None:
        return self.session.scalars(select(ChangeRequest).where(
            ChangeRequest.enterprise_id == enterprise_id, ChangeRequest.status == "pending")).first()

    def history(self, enterprise_id: uuid.UUID, offset: int, limit: int) -> tuple[list[ChangeHistory], int]:
        where = ChangeHistory.enterprise_id == enterprise_id
        total = self.session.execute(
            select(func.count()).select_from(ChangeHistory).where(where)).scalar_one()
        rows = self.session.scalars(select(ChangeHistory).where(where).order_by(
            ChangeHistory.id.desc()).offset(offset).limit(limit))
        return list(rows), int(total)

    def add_history(self, enterprise_id: uuid.UUID, actor_id: str | None, section: str,
                    record_id: str | None, action: str,
                    changes: list[tuple[str, Any, Any]] | None = None, actor_name: str | None = None) -> None:
        if not changes:
            self.session.add(ChangeHistory(enterprise_id=enterprise_id, actor_id=actor_id, section=section,
                                           record_id=record_id, action=action, actor_name=actor_name))
            return
        for field, old, new in changes:
            self.session.add(ChangeHistory(enterprise_id=enterprise_id, actor_id=actor_id, section=section,
                                           record_id=record_id, action=action, field=field,
                                           actor_name=actor_name,
                                           old_value=None if old is None else str(old)[:2000],
                                           new_value=None if new is None else str(new)[:2000]))
