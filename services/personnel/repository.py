"""The only code that queries personnel's tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.search import LIKE_ESCAPE, contains_pattern
from services.personnel.declarations import FINAL_STATUSES, REPORTED_STATUSES
from services.personnel.models import (
    Appeal,
    Attachment,
    Batch,
    Certificate,
    Commitment,
    Declaration,
    Employer,
    ExamPass,
    Person,
    ReportKey,
    Transfer,
)

LIVE = ("valid", "expired", "transferring")
OPEN_TRANSFER_STATUSES = ("requested", "out_declared", "in_drafted", "in_review")


def _page(query: Select, order_col: Any, limit: int, cursor: str | None) -> Select:
    """Keyset paging on (created_at desc, id): the cursor is ``<iso time>|<id>``."""
    if cursor:
        try:
            at_text, id_text = cursor.split("|", 1)
            at, last = datetime.fromisoformat(at_text), uuid.UUID(id_text)
        except ValueError:
            at = last = None
        if at is not None:
            table = order_col.class_
            query = query.where(or_(order_col < at, and_(order_col == at, table.id < last)))
    return query.order_by(order_col.desc(), order_col.class_.id.desc()).limit(limit + 1)


def next_cursor(rows: Sequence[Any], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return f"{last.created_at.isoformat()}|{last.id}"


class PersonnelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    # ---- employers -------------------------------------------------------------------------
    def remember_employer(
        self, enterprise_id: uuid.UUID, uscc: str, name: str | None, region_code: str | None
    ) -> None:
        """Insert or refresh the directory row (idempotent; concurrent callers both succeed)."""
        values = {"id": enterprise_id, "uscc": uscc, "name": name, "region_code": region_code}
        stmt = pg_insert(Employer).values(**values)
        changes = {"uscc": stmt.excluded.uscc, "updated_at": func.now()}
        if name:
            changes["name"] = stmt.excluded.name
        if region_code:
            changes["region_code"] = stmt.excluded.region_code
        self.session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=changes))

    def employer_by_uscc(self, uscc: str) -> Employer | None:
        return self.session.scalars(select(Employer).where(Employer.uscc == uscc)).first()

    # ---- people ---------------------------------------------------------------------------
    def person(self, person_id: uuid.UUID, *, for_update: bool = False) -> Person | None:
        query = select(Person).where(Person.id == person_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def person_by_number(self, id_type: str, id_number: str, *, for_update: bool = False) -> Person | None:
        query = select(Person).where(Person.id_type == id_type, Person.id_number == id_number)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def people_by_number(self, id_number: str) -> list[Person]:
        return list(self.session.scalars(select(Person).where(Person.id_number == id_number)))

    def people_of_enterprise(
        self,
        enterprise_id: uuid.UUID,
        q: str | None,
        type_code: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[Person]:
        """People the enterprise holds a certificate of, or has declared, or created."""
        held = select(Certificate.person_id).where(Certificate.enterprise_id == enterprise_id)
        if type_code:
            held = held.where(Certificate.type_code == type_code)
        if status:
            held = held.where(Certificate.status == status)
        declared = select(Declaration.person_id).where(
            Declaration.enterprise_id == enterprise_id, Declaration.status.not_in(FINAL_STATUSES)
        )
        if type_code:
            declared = declared.where(Declaration.type_code == type_code)
        owned = [Person.id.in_(held)]
        if not status:
            owned.append(Person.id.in_(declared))
        if not (type_code or status):
            # The creator lists a person while no other enterprise holds them (as the service reads).
            elsewhere = select(Certificate.person_id).where(
                Certificate.enterprise_id.is_not(None), Certificate.enterprise_id != enterprise_id
            )
            owned.append(and_(Person.created_by_enterprise_id == enterprise_id, Person.id.not_in(elsewhere)))
        query = select(Person).where(or_(*owned))
        if q:
            like = contains_pattern(q)
            query = query.where(or_(Person.name.ilike(like, escape=LIKE_ESCAPE),
                                    Person.id_number.ilike(like, escape=LIKE_ESCAPE)))
        return list(self.session.scalars(_page(query, Person.created_at, limit, cursor)))

    # ---- certificate records --------------------------------------------------------------
    def certificate(self, certificate_id: uuid.UUID, *, for_update: bool = False) -> Certificate | None:
        query = select(Certificate).where(Certificate.id == certificate_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def certificates_of_person(self, person_id: uuid.UUID) -> list[Certificate]:
        return list(
            self.session.scalars(
                select(Certificate).where(Certificate.person_id == person_id).order_by(Certificate.created_at)
            )
        )

    def certificates_of_people(self, person_ids: Iterable[uuid.UUID]) -> list[Certificate]:
        ids = list(person_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(Certificate).where(Certificate.person_id.in_(ids))))

    def certificates_of_type(self, type_code: str, person_id: uuid.UUID) -> list[Certificate]:
        return list(
            self.session.scalars(
                select(Certificate).where(
                    Certificate.type_code == type_code, Certificate.person_id == person_id
                )
            )
        )

    def live_until(self, day: date, limit: int = 1000) -> list[Certificate]:
        """Live records whose validity ended before ``day`` (candidates for the lapse sweep)."""
        return list(
            self.session.scalars(
                select(Certificate)
                .where(Certificate.status.in_(("valid", "expired")), Certificate.valid_until < day)
                .order_by(Certificate.valid_until)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    def expiring(
        self,
        enterprise_id: uuid.UUID | None,
        region: str | None,
        start: date,
        end: date,
        type_code: str | None,
    ) -> list[Certificate]:
        query = select(Certificate).where(
            Certificate.status.in_(LIVE), Certificate.valid_until >= start, Certificate.valid_until <= end
        )
        if enterprise_id is not None:
            query = query.where(Certificate.enterprise_id == enterprise_id)
        if region is not None:
            query = query.where(Certificate.region_code.startswith(region))
        if type_code:
            query = query.where(Certificate.type_code == type_code)
        return list(self.session.scalars(query.order_by(Certificate.valid_until).limit(2000)))

    def search(
        self, filters: dict[str, Any], enterprise_id: uuid.UUID | None, region: str | None
    ) -> list[tuple[Certificate, Person]]:
        query = select(Certificate, Person).join(Person, Person.id == Certificate.person_id)
        if enterprise_id is not None:
            query = query.where(Certificate.enterprise_id == enterprise_id)
        if region is not None:
            query = query.where(Certificate.region_code.startswith(region))
        if filters.get("name"):
            query = query.where(Person.name.ilike(contains_pattern(filters["name"]), escape=LIKE_ESCAPE))
        if filters.get("id_number"):
            query = query.where(Person.id_number == filters["id_number"].strip().upper())
        for key in ("type_code", "certificate_kind", "status"):
            if filters.get(key):
                query = query.where(getattr(Certificate, key) == filters[key])
        if filters.get("enterprise_name"):
            pattern = contains_pattern(filters["enterprise_name"])
            query = query.where(Certificate.enterprise_name.ilike(pattern, escape=LIKE_ESCAPE))
        if filters.get("valid_until_before"):
            query = query.where(Certificate.valid_until <= filters["valid_until_before"])
        rows = list(
            self.session.execute(
                _page(query, Certificate.created_at, int(filters.get("limit") or 50), filters.get("cursor"))
            )
        )
        if filters.get("specialty"):
            rows = [r for r in rows if filters["specialty"] in (r[0].specialties or [])]
        return [(r[0], r[1]) for r in rows]

    # ---- declarations ---------------------------------------------------------------------
    def declaration(self, declaration_id: uuid.UUID, *, for_update: bool = False) -> Declaration | None:
        query = select(Declaration).where(Declaration.id == declaration_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def declarations(self, ids: Iterable[uuid.UUID], *, for_update: bool = False) -> list[Declaration]:
        query = select(Declaration).where(Declaration.id.in_(list(ids))).order_by(Declaration.created_at)
        return list(self.session.scalars(query.with_for_update() if for_update else query))

    def by_case_ref(self, case_ref: str) -> Declaration | None:
        return self.session.scalars(
            select(Declaration).where(Declaration.case_ref == case_ref).with_for_update()
        ).first()

    def declarations_of_person(self, person_id: uuid.UUID) -> list[Declaration]:
        return list(
            self.session.scalars(
                select(Declaration)
                .where(Declaration.person_id == person_id, Declaration.status != "deleted")
                .order_by(Declaration.created_at)
            )
        )

    def declarations_of_people(self, person_ids: Iterable[uuid.UUID]) -> list[Declaration]:
        return list(
            self.session.scalars(
                select(Declaration).where(
                    Declaration.person_id.in_(list(person_ids)), Declaration.status != "deleted"
                )
            )
        )

    def in_batch(self, batch_id: uuid.UUID) -> list[Declaration]:
        return list(
            self.session.scalars(
                select(Declaration)
                .where(Declaration.batch_id == batch_id, Declaration.status != "deleted")
                .order_by(Declaration.created_at)
            )
        )

    def list_declarations(
        self,
        enterprise_id: uuid.UUID | None,
        f: dict[str, Any],
        person_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[Declaration]:
        query = select(Declaration).where(Declaration.status != "deleted")
        if enterprise_id is not None:
            query = query.where(Declaration.enterprise_id == enterprise_id)
        if person_ids is not None:
            query = query.where(Declaration.person_id.in_(list(person_ids)))
        if f.get("reported") is True:
            query = query.where(Declaration.status.in_(REPORTED_STATUSES))
        elif f.get("reported") is False:
            query = query.where(Declaration.status.in_(("draft", "returned")))
        if f.get("batch") is True:
            query = query.where(Declaration.batch_id.is_not(None))
        elif f.get("batch") is False:
            query = query.where(Declaration.batch_id.is_(None))
        if f.get("batch_id"):
            query = query.where(Declaration.batch_id == uuid.UUID(str(f["batch_id"])))
        for key in ("type_code", "kind", "status"):
            if f.get(key):
                query = query.where(getattr(Declaration, key) == f[key])
        if f.get("q"):
            like = contains_pattern(f["q"])
            query = query.where(
                Declaration.person_id.in_(
                    select(Person.id).where(or_(Person.name.ilike(like, escape=LIKE_ESCAPE),
                                               Person.id_number.ilike(like, escape=LIKE_ESCAPE)))
                )
            )
        return list(
            self.session.scalars(
                _page(query, Declaration.created_at, int(f.get("limit") or 50), f.get("cursor"))
            )
        )

    def open_of_enterprise(self, enterprise_id: uuid.UUID) -> list[Declaration]:
        reported_open = [s for s in REPORTED_STATUSES if s not in FINAL_STATUSES]
        return list(
            self.session.scalars(
                select(Declaration)
                .where(Declaration.enterprise_id == enterprise_id, Declaration.status.in_(reported_open))
                .order_by(Declaration.created_at)
            )
        )

    # ---- attachments ----------------------------------------------------------------------
    def attachment(self, attachment_id: uuid.UUID) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)

    def attachments_of(self, declaration_id: uuid.UUID) -> list[Attachment]:
        return list(
            self.session.scalars(
                select(Attachment)
                .where(Attachment.declaration_id == declaration_id, Attachment.superseded_at.is_(None))
                .order_by(Attachment.created_at)
            )
        )

    def supersede(self, declaration_id: uuid.UUID, code: str, at: datetime) -> None:
        for row in self.session.scalars(
            select(Attachment).where(
                Attachment.declaration_id == declaration_id,
                Attachment.code == code,
                Attachment.superseded_at.is_(None),
            )
        ):
            row.superseded_at = at

    # ---- batches, commitments, report keys ------------------------------------------------
    def batch(self, batch_id: uuid.UUID) -> Batch | None:
        return self.session.get(Batch, batch_id)

    def batches_of(self, enterprise_id: uuid.UUID, reported: bool | None) -> list[Batch]:
        query = select(Batch).where(Batch.enterprise_id == enterprise_id)
        if reported is True:
            query = query.where(Batch.reported_at.is_not(None))
        elif reported is False:
            query = query.where(Batch.reported_at.is_(None))
        return list(self.session.scalars(query.order_by(Batch.created_at.desc()).limit(500)))

    def commitment(self, token: uuid.UUID) -> Commitment | None:
        return self.session.get(Commitment, token)

    def report_key(self, enterprise_id: uuid.UUID, form_key: str) -> ReportKey | None:
        return self.session.get(ReportKey, (enterprise_id, form_key))

    # ---- transfers, appeals, exams --------------------------------------------------------
    def transfer(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> Transfer | None:
        query = select(Transfer).where(Transfer.id == transfer_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def open_transfer_of(self, certificate_id: uuid.UUID) -> Transfer | None:
        return self.session.scalars(
            select(Transfer).where(
                Transfer.certificate_id == certificate_id, Transfer.status.in_(OPEN_TRANSFER_STATUSES)
            )
        ).first()

    def transfers_of_enterprise(self, enterprise_id: uuid.UUID, direction: str | None) -> list[Transfer]:
        if direction == "incoming":
            cond = Transfer.to_enterprise_id == enterprise_id
        elif direction == "outgoing":
            cond = Transfer.from_enterprise_id == enterprise_id
        else:
            cond = or_(
                Transfer.to_enterprise_id == enterprise_id, Transfer.from_enterprise_id == enterprise_id
            )
        return list(
            self.session.scalars(select(Transfer).where(cond).order_by(Transfer.created_at.desc()).limit(500))
        )

    def transfers_of_person(self, person_id: uuid.UUID) -> list[Transfer]:
        return list(
            self.session.scalars(
                select(Transfer).where(Transfer.person_id == person_id).order_by(Transfer.created_at.desc())
            )
        )

    def appeal(self, appeal_id: uuid.UUID) -> Appeal | None:
        return self.session.get(Appeal, appeal_id)

    def appeals(
        self, enterprise_id: uuid.UUID | None, region: str | None, status: str | None
    ) -> list[Appeal]:
        query = select(Appeal)
        if enterprise_id is not None:
            query = query.where(Appeal.enterprise_id == enterprise_id)
        if region is not None:
            query = query.where(Appeal.region_code.startswith(region))
        if status:
            query = query.where(Appeal.status == status)
        return list(self.session.scalars(query.order_by(Appeal.created_at.desc()).limit(500)))

    def exam_passes(self, id_number: str) -> list[ExamPass]:
        return list(self.session.scalars(select(ExamPass).where(ExamPass.id_number == id_number.upper())))

    def search_exam_passes(self, q: str, limit: int = 100) -> list[ExamPass]:
        """By ID number or certificate number (prefix) or name (contains)."""
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return list(self.session.scalars(
            select(ExamPass).where(or_(ExamPass.id_number.startswith(q, autoescape=True),
                                       ExamPass.certificate_number.startswith(q, autoescape=True),
                                       ExamPass.name.like(f"%{pattern}%", escape="\\")))
            .order_by(ExamPass.id_number, ExamPass.specialty).limit(limit)))

    def has_exam_pass(self, id_number: str, specialty: str, number: str) -> bool:
        return (
            self.session.scalars(
                select(ExamPass.id).where(
                    ExamPass.id_number == id_number,
                    ExamPass.specialty == specialty,
                    ExamPass.certificate_number == number,
                )
            ).first()
            is not None
        )
