"""The only code that queries review's tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from services.common.search import LIKE_ESCAPE, contains_pattern
from services.review import domain
from services.review.models import (
    Attachment,
    Campaign,
    CampaignTarget,
    Case,
    Correction,
    Delegation,
    Opinion,
    Rectification,
    Revision,
)

SORT_COLUMNS = {"received": Case.received_at, "due": Case.due_date, "updated": Case.updated_at}
OPEN_QUEUES = ("active", "waiting")


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
        query = select(Case).where(Case.id == case_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_ref(self, case_ref: str, *, for_update: bool = False) -> Case | None:
        query = select(Case).where(Case.case_ref == case_ref)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def for_enterprise(self, enterprise_id: str, limit: int = 200) -> list[Case]:
        return list(self.session.scalars(
            select(Case).where(Case.enterprise_id == enterprise_id)
            .order_by(Case.received_at.desc()).limit(limit)))

    # ---- the queue -------------------------------------------------------------------------
    def queue_page(self, level: str, desk: str, filters: domain.Filters,
                   claimants: list[str]) -> tuple[list[Case], str | None]:
        column = SORT_COLUMNS[filters.sort]
        query = select(Case).where(Case.level == level, Case.desk_region == desk)
        if filters.status in ("active", "waiting", "done"):
            query = query.where(Case.queue == filters.status)
        else:
            query = query.where(Case.queue == domain.queue_of(filters.status),
                                Case.status == filters.status)
        if filters.case_type:
            if filters.case_type.endswith("*"):
                prefix = contains_pattern(filters.case_type[:-1])[1:]  # "pfl.*": a prefix, literally
                query = query.where(Case.case_type.like(prefix, escape=LIKE_ESCAPE))
            else:
                query = query.where(Case.case_type == filters.case_type)
        if filters.step:
            query = query.where(Case.step_key == filters.step)
        if filters.overdue is not None:
            query = query.where(Case.overdue.is_(filters.overdue))
        if filters.enterprise:
            query = query.where(Case.enterprise_name.ilike(contains_pattern(filters.enterprise),
                                                           escape=LIKE_ESCAPE))
        if filters.mine:
            query = query.where(Case.claimed_by.in_(claimants))
        cursor = filters.cursor
        if cursor is not None:
            value: Any = (date.fromisoformat(cursor.value) if filters.sort == "due"
                          else datetime.fromisoformat(cursor.value))
            query = query.where(tuple_(column, Case.id) > tuple_(value, uuid.UUID(cursor.case_id)))
        rows = list(self.session.scalars(query.order_by(column, Case.id).limit(filters.limit + 1)))
        next_cursor = None
        if len(rows) > filters.limit:
            rows = rows[:filters.limit]
            last = rows[-1]
            next_cursor = domain.encode_cursor(filters.sort, getattr(last, column.key), last.id)
        return rows, next_cursor

    def claim(self, case_id: uuid.UUID, level: str, desk: str, reviewer_id: str, name: str,
              now: datetime) -> bool:
        """One conditional UPDATE: exactly one of any number of racing claimants wins."""
        row = self.session.execute(
            update(Case)
            .where(Case.id == case_id, Case.claimed_by.is_(None), Case.level == level,
                   Case.desk_region == desk, Case.queue == "active")
            .values(claimed_by=reviewer_id, claimed_name=name, claimed_at=now,
                    updated_at=now, version=Case.version + 1)
            .returning(Case.id)
        ).first()
        return row is not None

    def workload(self, level: str, desk: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(Case.claimed_by, func.max(Case.claimed_name), Case.queue, func.count(),
                   func.count().filter(Case.overdue))
            .where(Case.level == level, Case.desk_region == desk, Case.queue.in_(OPEN_QUEUES))
            .group_by(Case.claimed_by, Case.queue)
        ).all()
        table: dict[str | None, dict[str, Any]] = {}
        for reviewer, name, queue, count, overdue in rows:
            entry = table.setdefault(reviewer, {"reviewer_id": reviewer, "reviewer_name": name or "",
                                                "active": 0, "waiting": 0, "overdue": 0})
            entry[queue] = count
            entry["overdue"] += overdue
        return sorted(table.values(), key=lambda e: (e["reviewer_id"] is None, -e["active"]))

    def finishing_opinions(self, since: datetime, until: datetime, actions: tuple[str, ...],
                           level: str | None = None) -> list[Any]:
        """Opinions that finished a step in [since, until), with their case's clock figures."""
        query = (select(Opinion.reviewer_id, Opinion.reviewer_name, Opinion.level, Opinion.at,
                        Case.region_code, Case.clock_started_on, Case.paused_days, Case.limit_days,
                        Case.extension_days)
                 .join(Case, Case.id == Opinion.case_id)
                 .where(Opinion.action.in_(actions), Opinion.at >= since, Opinion.at < until))
        if level is not None:
            query = query.where(Opinion.level == level)
        return list(self.session.execute(query.order_by(Opinion.at)).all())

    def workload_by_desk(self) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(Case.level, Case.desk_region, Case.queue, func.count(),
                   func.count().filter(Case.overdue), func.count().filter(Case.claimed_by.is_(None)))
            .where(Case.queue.in_(OPEN_QUEUES))
            .group_by(Case.level, Case.desk_region, Case.queue)
        ).all()
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for level, desk, queue, count, overdue, unclaimed in rows:
            entry = table.setdefault((level, desk), {"level": level, "desk_region": desk, "active": 0,
                                                     "waiting": 0, "overdue": 0, "unclaimed": 0})
            entry[queue] = count
            entry["overdue"] += overdue
            entry["unclaimed"] += unclaimed if queue == "active" else 0
        return sorted(table.values(), key=lambda e: (e["level"], e["desk_region"]))

    def overdue_by_level(self) -> dict[str, int]:
        """Active cases flagged past their statutory date, by level (the monitoring gauge)."""
        rows = self.session.execute(
            select(Case.level, func.count()).where(Case.queue == "active", Case.overdue)
            .group_by(Case.level)
        ).all()
        return {level: count for level, count in rows}

    def due_for_overdue(self, today: date, limit: int = 500) -> list[Case]:
        """Active cases past their date not yet flagged; SKIP LOCKED: two instances share the sweep."""
        return list(self.session.scalars(
            select(Case).where(Case.queue == "active", Case.overdue.is_(False), Case.due_date < today)
            .order_by(Case.due_date).limit(limit).with_for_update(skip_locked=True)))

    def due_for_acceptance(self, today: date, limit: int = 500) -> list[Case]:
        """Cases still waiting for 受理 past their acceptance deadline (SKIP LOCKED, as above)."""
        return list(self.session.scalars(
            select(Case).where(Case.status == domain.SUBMITTED, Case.accepted.is_(False),
                               Case.acceptance_due < today)
            .order_by(Case.acceptance_due).limit(limit).with_for_update(skip_locked=True)))

    # ---- revisions, opinions, corrections, rectifications ---------------------------------------
    def add_revision(self, revision: Revision) -> None:
        self.session.add(revision)
        self.session.flush()

    def revisions(self, case_id: uuid.UUID) -> list[Revision]:
        return list(self.session.scalars(
            select(Revision).where(Revision.case_id == case_id).order_by(Revision.revision)))

    def add_opinion(self, opinion: Opinion) -> None:
        self.session.add(opinion)
        self.session.flush()

    def opinions(self, case_id: uuid.UUID) -> list[Opinion]:
        return list(self.session.scalars(
            select(Opinion).where(Opinion.case_id == case_id).order_by(Opinion.id)))

    def corrections(self, case_id: uuid.UUID) -> list[Correction]:
        return list(self.session.scalars(
            select(Correction).where(Correction.case_id == case_id).order_by(Correction.id)))

    def open_correction(self, case_id: uuid.UUID) -> Correction | None:
        return self.session.scalars(
            select(Correction).where(Correction.case_id == case_id,
                                     Correction.resolved_revision.is_(None))
            .order_by(Correction.id.desc())).first()

    def rectifications(self, case_id: uuid.UUID) -> list[Rectification]:
        return list(self.session.scalars(
            select(Rectification).where(Rectification.case_id == case_id).order_by(Rectification.id)))

    def rectification(self, rect_id: int, *, for_update: bool = False) -> Rectification | None:
        query = select(Rectification).where(Rectification.id == rect_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def attachment(self, attachment_id: uuid.UUID) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)

    def stored_attachment_ids(self, case_id: uuid.UUID) -> set[str]:
        """Which of a case's attachments review stores itself (the rest are the producer's)."""
        return {str(i) for i in self.session.scalars(
            select(Attachment.id).where(Attachment.case_id == case_id))}

    def open_todos(self, enterprise_id: str) -> list[tuple[Case, Correction | None, Rectification | None]]:
        cases = list(self.session.scalars(
            select(Case).where(Case.enterprise_id == enterprise_id, Case.queue == "waiting")
            .order_by(Case.updated_at.desc())))
        result = []
        for case in cases:
            correction = self.open_correction(case.id) if case.status == domain.CORRECTION else None
            rect = None
            if case.status == domain.RECTIFICATION:
                rect = self.session.scalars(
                    select(Rectification).where(Rectification.case_id == case.id,
                                                Rectification.status == "open")
                    .order_by(Rectification.id.desc())).first()
            result.append((case, correction, rect))
        return result


class DelegationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, delegation: Delegation) -> None:
        self.session.add(delegation)
        self.session.flush()

    def get(self, delegation_id: int) -> Delegation | None:
        return self.session.get(Delegation, delegation_id)

    def delegators_of(self, reviewer_id: str, today: date) -> list[str]:
        """Whose cases this reviewer may work today (their delegations to them are in force)."""
        return list(self.session.scalars(
            select(Delegation.from_reviewer).where(
                Delegation.to_reviewer == reviewer_id, Delegation.revoked_at.is_(None),
                Delegation.starts_on <= today, Delegation.ends_on >= today)))

    def for_desk(self, level: str | None, desk: str | None) -> list[Delegation]:
        """A desk's delegations, or every desk's when no desk is given (an admin without one)."""
        query = select(Delegation)
        if level is not None:
            query = query.where(Delegation.level == level, Delegation.desk_region == desk)
        return list(self.session.scalars(query.order_by(Delegation.id.desc()).limit(200)))

    def involving(self, reviewer_id: str) -> list[Delegation]:
        return list(self.session.scalars(
            select(Delegation).where(or_(Delegation.from_reviewer == reviewer_id,
                                         Delegation.to_reviewer == reviewer_id))
            .order_by(Delegation.id.desc()).limit(200)))


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def all(self) -> list[Campaign]:
        return list(self.session.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(100)))

    def get(self, campaign_id: uuid.UUID) -> Campaign | None:
        return self.session.get(Campaign, campaign_id)

    def targets(self, campaign_id: uuid.UUID) -> list[CampaignTarget]:
        return list(self.session.scalars(
            select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
            .order_by(CampaignTarget.enterprise_name)))

    def target(self, target_id: uuid.UUID, *, for_update: bool = False) -> CampaignTarget | None:
        query = select(CampaignTarget).where(CampaignTarget.id == target_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def todos_of(self, enterprise_id: str) -> list[tuple[CampaignTarget, Campaign]]:
        return list(self.session.execute(
            select(CampaignTarget, Campaign).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
            .where(and_(CampaignTarget.enterprise_id == enterprise_id, CampaignTarget.status == "todo"))
        ).tuples())
