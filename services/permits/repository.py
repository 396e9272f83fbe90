"""The only code that queries permits' tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.permits.models import (
    Application,
    ApplicationHistory,
    Attachment,
    Batch,
    CreditDefault,
    CreditRecord,
    Licence,
    LicenceSequence,
    OwedMaterial,
    RecordsRecheck,
)


class ApplicationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, application: Application) -> None:
        self.session.add(application)
        self.session.flush()

    def get(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None:
        query = select(Application).where(Application.id == application_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_request_key(self, key: str) -> Application | None:
        return self.session.scalars(select(Application).where(Application.request_key == key)).first()

    def submit_key_owner(self, key: str) -> uuid.UUID | None:
        """The id of the application submitted with this key, if any."""
        return self.session.scalars(select(Application.id).where(Application.submit_key == key)).first()

    def by_case_ref(self, case_ref: str, *, for_update: bool = True) -> Application | None:
        query = select(Application).where(Application.case_ref == case_ref)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def of_enterprise(
        self, enterprise_id: uuid.UUID, states: tuple[str, ...] | None = None, limit: int = 500,
        *, lock: bool = False,
    ) -> list[Application]:
        query = select(Application).where(Application.enterprise_id == enterprise_id)
        if states:
            query = query.where(Application.state.in_(states))
        if lock:  # one order for every locker: two re-checks never deadlock
            return list(self.session.scalars(query.order_by(Application.id).limit(limit)
                                             .with_for_update()))
        return list(self.session.scalars(query.order_by(Application.created_at.desc()).limit(limit)))

    def write_recheck(self, application: Application, columns: dict) -> None:
        """The background re-check's write (services/permits/recheck.py): a plain UPDATE that
        leaves ``version`` alone, on a row the caller holds locked; the loaded object is
        refreshed so the rest of the unit of work sees what was written."""
        self.session.execute(
            update(Application).where(Application.id == application.id).values(**columns)
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(application)

    def recheck_version(self, enterprise_id: uuid.UUID) -> int | None:
        """The records version the enterprise's last re-check judged (None: never), unlocked."""
        return self.session.scalars(
            select(RecordsRecheck.records_version).where(RecordsRecheck.enterprise_id == enterprise_id)
        ).first()

    def lock_recheck(self, enterprise_id: uuid.UUID) -> RecordsRecheck:
        """The enterprise's re-check row, created if missing, locked until commit: the
        re-checks of one enterprise queue up here."""
        self.session.execute(
            pg_insert(RecordsRecheck).values(enterprise_id=enterprise_id, records_version=0)
            .on_conflict_do_nothing()
        )
        return self.session.scalars(
            select(RecordsRecheck).where(RecordsRecheck.enterprise_id == enterprise_id)
            .with_for_update().execution_options(populate_existing=True)
        ).one()

    def in_batch(self, batch_id: uuid.UUID) -> list[Application]:
        return list(
            self.session.scalars(
                select(Application).where(Application.batch_id == batch_id).order_by(Application.created_at)
            )
        )

    def next_number(self, today: date) -> str:
        """申报编号: SB + date + the day's counter, drawn by one atomic upsert (the counter row
        is locked until commit: call it in a transaction of its own, commit at once). Read-the-
        count-then-insert drew one number twice under concurrency (409 under load, issue 17).
        The counter never falls behind the day's highest number already stored (one written
        by an older permits process during a rolling upgrade): an index-only look at it."""
        prefix = f"SB{today:%Y%m%d}"
        drawn = self.session.execute(
            text(
                "WITH stored AS (SELECT COALESCE(substr(max(number), 11)::int, 0) AS n"
                " FROM applications WHERE number >= :low AND number < :high)"
                " INSERT INTO application_number_counters AS c (day, last)"
                " SELECT :day, stored.n + 1 FROM stored"
                " ON CONFLICT (day) DO UPDATE SET last = GREATEST(c.last, EXCLUDED.last - 1) + 1"
                " RETURNING c.last"
            ),
            {"day": today, "low": prefix, "high": prefix + "A"},
        ).scalar_one()
        return f"{prefix}{drawn:05d}"

    def add_history(
        self,
        application: Application,
        action: str,
        from_state: str | None,
        to_state: str | None,
        actor: dict | None,
        note: str | None = None,
        **detail: object,
    ) -> None:
        self.session.add(
            ApplicationHistory(
                application_id=application.id,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor_id=(actor or {}).get("id"),
                actor_kind=(actor or {}).get("kind") or "system",
                note=note,
                detail={
                    k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
                    for k, v in detail.items()
                },
            )
        )

    def did_with_key(self, application_id: uuid.UUID, action: str, key: str) -> bool:
        """Whether ``action`` was already done on the application under this idempotency key
        (kept as ``detail.key`` of its history row)."""
        return self.session.execute(
            select(ApplicationHistory.id).where(
                ApplicationHistory.application_id == application_id,
                ApplicationHistory.action == action,
                ApplicationHistory.detail["key"].as_string() == key,
            ).limit(1)
        ).first() is not None

    def history(self, application_id: uuid.UUID) -> list[ApplicationHistory]:
        return list(
            self.session.scalars(
                select(ApplicationHistory)
                .where(ApplicationHistory.application_id == application_id)
                .order_by(ApplicationHistory.id)
            )
        )

    # ---- attachments ----------------------------------------------------------------------
    def add_attachment(self, attachment: Attachment) -> None:
        self.session.add(attachment)
        self.session.flush()

    def attachment(self, attachment_id: uuid.UUID) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)

    def attachments_of(self, application_id: uuid.UUID, *, current_only: bool = True) -> list[Attachment]:
        query = select(Attachment).where(Attachment.application_id == application_id)
        if current_only:
            query = query.where(Attachment.superseded_at.is_(None))
        return list(self.session.scalars(query.order_by(Attachment.created_at)))

    def supersede(self, application_id: uuid.UUID, purpose: str, now: datetime) -> None:
        self.session.execute(
            update(Attachment)
            .where(
                Attachment.application_id == application_id,
                Attachment.purpose == purpose,
                Attachment.superseded_at.is_(None),
            )
            .values(superseded_at=now)
        )

    # ---- owed materials (容缺) --------------------------------------------------------------
    def owed_of(self, application_id: uuid.UUID) -> list[OwedMaterial]:
        return list(
            self.session.scalars(
                select(OwedMaterial)
                .where(OwedMaterial.application_id == application_id)
                .order_by(OwedMaterial.id)
            )
        )

    def add_owed(self, owed: OwedMaterial) -> None:
        self.session.add(owed)

    def overdue_owed(self, today: date) -> list[OwedMaterial]:
        return list(
            self.session.scalars(
                select(OwedMaterial)
                .where(
                    OwedMaterial.fulfilled_at.is_(None),
                    OwedMaterial.defaulted_at.is_(None),
                    OwedMaterial.deadline < today,
                )
                .with_for_update(skip_locked=True)
            )
        )


class BatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, batch: Batch) -> None:
        self.session.add(batch)
        self.session.flush()

    def get(self, batch_id: uuid.UUID, *, for_update: bool = False) -> Batch | None:
        query = select(Batch).where(Batch.id == batch_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def of_enterprise(self, enterprise_id: uuid.UUID) -> list[Batch]:
        return list(
            self.session.scalars(
                select(Batch).where(Batch.enterprise_id == enterprise_id).order_by(Batch.created_at.desc())
            )
        )


class LicenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, licence: Licence) -> None:
        self.session.add(licence)
        self.session.flush()

    def get(self, licence_id: uuid.UUID, *, for_update: bool = False) -> Licence | None:
        query = select(Licence).where(Licence.id == licence_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_token(self, token: str) -> Licence | None:
        return self.session.scalars(select(Licence).where(Licence.verify_token == token)).first()

    def search(self, text: str, limit: int = 50, at_risk: bool = False,
               region_prefix: str = "") -> list[Licence]:
        """Licences whose number contains ``text`` (staff look a certificate up by its number);
        ``at_risk``: only those flagged at risk; ``region_prefix`` (a reviewer's jurisdiction,
        services.common.jurisdiction.region_prefix; "" = everywhere): only licences of
        enterprises whose applications are in a region with that prefix."""
        query = select(Licence).order_by(Licence.issued_on.desc()).limit(limit)
        if region_prefix:
            query = query.where(Licence.enterprise_id.in_(
                select(Application.enterprise_id)
                .where(Application.region_code.startswith(region_prefix, autoescape=True))))
        if text:
            query = query.where(Licence.number.contains(text, autoescape=True))
        if at_risk:
            query = query.where(Licence.at_risk.is_not(None))
        return list(self.session.scalars(query))

    def of_enterprise(self, enterprise_id: uuid.UUID) -> list[Licence]:
        return list(
            self.session.scalars(
                select(Licence)
                .where(Licence.enterprise_id == enterprise_id)
                .order_by(Licence.issued_on.desc())
            )
        )

    def valid_of(self, enterprise_id: uuid.UUID, *, lock: bool = True) -> list[Licence]:
        """The enterprise's valid licences (locked: two re-checks of one enterprise queue up)."""
        query = select(Licence).where(Licence.enterprise_id == enterprise_id,
                                      Licence.status == "valid").order_by(Licence.number)
        if lock:
            query = query.with_for_update()
        return list(self.session.scalars(query))

    def live_of(self, enterprise_id: uuid.UUID, type_code: str) -> Licence | None:
        """The enterprise's current edition of a type (valid or suspended), newest first."""
        return self.session.scalars(
            select(Licence)
            .where(
                Licence.enterprise_id == enterprise_id,
                Licence.type_code == type_code,
                Licence.status.in_(("valid", "suspended")),
            )
            .order_by(Licence.issued_on.desc(), Licence.edition.desc())
        ).first()

    def next_sequence(self, type_code: str, year: int) -> int:
        """The next number in the type's yearly series; the row lock serialises issuers."""
        row = self.session.scalars(
            select(LicenceSequence)
            .where(LicenceSequence.type_code == type_code, LicenceSequence.year == year)
            .with_for_update()
        ).first()
        if row is None:
            row = LicenceSequence(type_code=type_code, year=year, last=0)
            self.session.add(row)
        row.last += 1
        self.session.flush()
        return row.last


class CreditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, enterprise_id: uuid.UUID) -> CreditRecord | None:
        return self.session.get(CreditRecord, enterprise_id)

    def put(self, enterprise_id: uuid.UUID, rating: str, note: str | None, by: str | None,
            free_trade_zone: bool | None = None) -> CreditRecord:
        """``free_trade_zone`` None keeps the recorded pilot-zone membership."""
        row = self.get(enterprise_id)
        if row is None:
            row = CreditRecord(enterprise_id=enterprise_id, rating=rating, note=note, updated_by=by,
                               free_trade_zone=bool(free_trade_zone))
            self.session.add(row)
        else:
            row.rating, row.note, row.updated_by = rating, note, by
            if free_trade_zone is not None:
                row.free_trade_zone = free_trade_zone
        self.session.flush()
        return row

    def all(self, limit: int = 500) -> list[CreditRecord]:
        return list(
            self.session.scalars(select(CreditRecord).order_by(CreditRecord.updated_at.desc()).limit(limit))
        )

    def defaults_since(self, enterprise_id: uuid.UUID, since: date) -> list[CreditDefault]:
        return list(
            self.session.scalars(
                select(CreditDefault).where(
                    CreditDefault.enterprise_id == enterprise_id, CreditDefault.deadline >= since
                )
            )
        )

    def add_default(self, default: CreditDefault) -> None:
        self.session.add(default)


def two_years_before(today: date) -> date:
    return today - timedelta(days=730)
