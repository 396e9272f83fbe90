"""我的整改 (HMQ): every rectification review asked of the enterprise, open and closed, newest
first, with the case it belongs to. Read-only; answering stays ``submit_rectification``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.common.access import enterprise_of
from services.common.errors import Forbidden
from services.review import domain
from services.review.models import Case, Rectification

LIMIT = 200


def rectification_view(rect: Rectification, case: Case) -> dict[str, Any]:
    spec = domain.registry().resolve(case.case_type)
    return {
        "id": rect.id, "items": rect.items or [], "deadline": rect.deadline.isoformat(),
        "status": rect.status, "statement": rect.statement, "evidence": rect.evidence or [],
        "requested_at": rect.requested_at.isoformat() if rect.requested_at else None,
        "submitted_at": rect.submitted_at.isoformat() if rect.submitted_at else None,
        "resolved_at": rect.resolved_at.isoformat() if rect.resolved_at else None,
        "case": {"id": str(case.id), "case_ref": case.case_ref, "title": case.title,
                 "type_label": spec.label if spec else "", "status": case.status,
                 "status_label": domain.STATUS_LABELS.get(case.status, "")},
    }


def enterprise_rectifications(db: Any, actor: dict) -> dict[str, Any]:
    enterprise_id = enterprise_of(actor or {})
    if enterprise_id is None:
        raise Forbidden("只有企业账号可以查看")
    with db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Rectification, Case).join(Case, Case.id == Rectification.case_id)
            .where(Case.enterprise_id == enterprise_id)
            .order_by(Rectification.requested_at.desc(), Rectification.id.desc()).limit(LIMIT)).all()
        return {"rectifications": [rectification_view(rect, case) for rect, case in rows]}
