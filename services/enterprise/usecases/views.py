"""How enterprise answers its rows (the dicts the RPCs return)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from services.enterprise import domain
from services.enterprise import history as history_rules
from services.enterprise.models import ChangeRequest, Enterprise, Staff


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


# ---- row → dict ------------------------------------------------------------------------------
def enterprise_view(row: Enterprise) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(row.id), "enterprise_id": str(row.id), "uscc": row.uscc}
    for name in domain.PROFILE_FIELDS:
        value = getattr(row, name)
        out[name] = _iso(value) if isinstance(value, date) else (
            str(value) if isinstance(value, uuid.UUID) else value)
    out.update({
        "enterprise_type_label": domain.ENTERPRISE_TYPES.get(row.enterprise_type or "", ""),
        "region_label": domain.region_label(row.region_code),
        "profile_status": row.profile_status,
        "profile_submitted_at": _iso(row.profile_submitted_at),
        "records_version": row.records_version,
        "imported": row.imported, "needs_completion": row.needs_completion,
        "updated_at": _iso(row.updated_at),
        "field_kinds": {**{n: "read_only" for n in domain.READ_ONLY_FIELDS},
                        **{n: "locked" for n in domain.LOCKED_FIELDS},
                        **{n: "editable" for n in domain.EDITABLE_FIELDS}},
    })
    return out


def staff_view(row: Staff, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "category": row.category,
            "category_label": domain.STAFF_CATEGORIES.get(row.category, row.category),
            "name": row.name, "id_type": row.id_type, "id_number": row.id_number,
            "gender": row.gender, "education": row.education, "mobile": row.mobile,
            "title": row.title, "title_level": row.title_level, "skill_level": row.skill_level,
            "specialty": row.specialty, "years_experience": row.years_experience,
            "witness_phone": row.witness_phone, "certificates": list(row.certificates or []),
            "work_experience": list(row.work_experience or []),
            "training_history": list(row.training_history or []),
            "imported": row.imported, "needs_completion": row.needs_completion,
            "approval": row.approval, "approval_label": domain.APPROVAL_LABELS.get(row.approval or "")}


def project_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "name": row.name, "client": row.client,
            "category": row.category,
            "category_label": domain.PROJECT_CATEGORIES.get(row.category, row.category),
            "grade": row.grade, "voltage_kv": row.voltage_kv,
            "contract_amount_wan": row.contract_amount_wan, "length_km": row.length_km,
            "started_on": _iso(row.started_on), "completed_on": _iso(row.completed_on)}


def equipment_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "name": row.name, "kind": row.kind, "model": row.model,
            "quantity": row.quantity}


def shareholder_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "holder": row.holder, "holder_kind": row.holder_kind,
            "share_percent": row.share_percent}


SECTION_VIEWS = {"staff": staff_view, "projects": project_view, "equipment": equipment_view,
                 "shareholders": shareholder_view}
OWNER_PURPOSE = {"staff": "staff_document", "projects": "project_acceptance",
                 "equipment": "equipment_proof"}


def _history_view(row: Any) -> dict[str, Any]:
    return {"at": _iso(row.at), "actor_id": row.actor_id, "actor_name": row.actor_name,
            "operator": history_rules.operator_label(row.actor_name, row.actor_id, str(row.enterprise_id)),
            "section": row.section,
            "section_label": domain.SECTION_LABELS.get(row.section, row.section),
            "record_id": row.record_id, "action": row.action, "field": row.field,
            "field_label": domain.FIELD_LABELS.get(row.field or "", row.field),
            "old": row.old_value, "new": row.new_value,
            "old_label": domain.value_label(row.field, row.old_value),
            "new_label": domain.value_label(row.field, row.new_value)}


def _change_request_view(row: ChangeRequest) -> dict[str, Any]:
    return {"id": str(row.id), "status": row.status, "changes": row.changes, "reason": row.reason,
            "decision_reason": row.decision_reason,
            "licence_attachment_id": str(row.licence_attachment_id) if row.licence_attachment_id else None,
            "requested_by": row.requested_by, "created_at": _iso(row.created_at),
            "labels": {k: domain.FIELD_LABELS.get(k, k) for k in row.changes},
            "shown": {k: {"old": domain.value_label(k, (v or {}).get("old")),
                          "new": domain.value_label(k, (v or {}).get("new"))}
                      for k, v in row.changes.items()}}
