"""enterprise's reads: section lists and summaries, one record, change requests and history,
the organisation search, reference data, and the records other services read (pre-check)."""

from __future__ import annotations

import uuid
from typing import Any

from services.common.attachments import attachment_view
from services.common.errors import Forbidden, NotFound
from services.common.schema_errors import load_or_fail
from services.enterprise import domain
from services.enterprise.repository import SECTION_MODELS, EnterpriseRepository
from services.enterprise.schemas import ListQuerySchema
from services.enterprise.usecases._support import NOT_FOUND, RECORD_NOT_FOUND, Deps, _authorise, _own_record
from services.enterprise.usecases.views import (
    OWNER_PURPOSE,
    SECTION_VIEWS,
    _change_request_view,
    _history_view,
    _iso,
    project_view,
)


def list_change_requests(deps: Deps, actor: dict, enterprise_id: str) -> list[dict]:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, "change_requests")
    with deps.begin() as uow:
        return [_change_request_view(r) for r in uow.repo.change_requests(eid)]


def change_history(deps: Deps, actor: dict, enterprise_id: str, query: dict | None = None) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, "history")
    params = load_or_fail(ListQuerySchema(), query or {})
    with deps.begin() as uow:
        rows, total = uow.repo.history(
            eid, (params["page"] - 1) * params["per_page"], params["per_page"])
        return {"items": [_history_view(r) for r in rows], "total": total, "page": params["page"],
                "per_page": params["per_page"]}


def search_organisations(deps: Deps, actor: dict, query: str) -> list[dict]:
    """上级单位 fuzzy search by name (PFL 选择 → 查询)."""
    if actor is None or actor.get("kind") not in ("enterprise", "sub", "reviewer", "admin"):
        raise Forbidden("请先登录")
    pattern = domain.fuzzy_pattern(str(query or ""))
    if pattern is None:
        return []
    exclude = domain.acting_enterprise(actor)
    with deps.begin() as uow:
        found = uow.repo.search_by_name(
            pattern, uuid.UUID(exclude) if exclude else None)
    return [{"id": i, "name": n} for i, n in domain.fuzzy_rank(str(query), found)[:20]]


def reference_data(deps: Deps) -> dict:
    return {"enterprise_types": domain.ENTERPRISE_TYPES, "regions": domain.region_choices(),
            "staff_categories": domain.STAFF_CATEGORIES, "certificate_kinds": domain.CERTIFICATE_KINDS,
            "id_types": domain.ID_TYPES, "levels": domain.LEVELS,
            "project_categories": domain.PROJECT_CATEGORIES, "field_labels": domain.FIELD_LABELS}


def list_records(deps: Deps, actor: dict, enterprise_id: str, section: str,
                 query: dict | None = None) -> dict:
    if section not in SECTION_MODELS:
        raise NotFound(RECORD_NOT_FOUND)
    eid = _authorise(deps, actor, enterprise_id, domain.READ, section)
    params = load_or_fail(ListQuerySchema(), query or {})
    offset = (params["page"] - 1) * params["per_page"]
    with deps.begin() as uow:
        repo = uow.repo
        rows, total = repo.list_section(section, eid, category=params["category"], q=params["q"],
                                        offset=offset, limit=params["per_page"])
        view = SECTION_VIEWS[section]
        items = [view(r, offset + i + 1) for i, r in enumerate(rows)]
        owners = [r.id for r in rows]
        if section in OWNER_PURPOSE and owners:
            files: dict[str, list] = {}
            for attachment in repo.attachments_of(eid, owners):
                files.setdefault(str(attachment.owner_id), []).append(attachment_view(attachment))
            for item in items:
                item["attachments"] = files.get(item["id"], [])
        return {"items": items, "total": total, "page": params["page"], "per_page": params["per_page"],
                "summary": _summary(repo, eid, section)}


def _summary(repo: EnterpriseRepository, eid: uuid.UUID, section: str) -> Any:
    if section == "staff":
        return domain.staff_summary(repo.staff_counts(eid))
    if section == "projects":
        return domain.project_summary([project_view(p) for p in repo.all_of("projects", eid)])
    if section == "shareholders":
        return domain.shareholding_check([s.share_percent for s in repo.all_of("shareholders", eid)])
    if section == "equipment":
        items = repo.all_of("equipment", eid)
        return {"kinds": len(items), "quantity": sum(e.quantity for e in items)}
    return None


def summary(deps: Deps, actor: dict, enterprise_id: str) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, "summary")
    with deps.begin() as uow:
        repo = uow.repo
        return {section: _summary(repo, eid, section) for section in SECTION_MODELS}


def get_record(deps: Deps, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, section)
    with deps.begin() as uow:
        repo = uow.repo
        row = _own_record(deps, repo, actor, eid, section, record_id)
        position = repo.staff_row_of(row) if section == "staff" else None
        view = SECTION_VIEWS[section](row, position)
        if section in OWNER_PURPOSE:
            view["attachments"] = [attachment_view(a) for a in repo.attachments_of(eid, [row.id])]
        return view


def records_for_precheck(deps: Deps, actor_or_none: dict | None, enterprise_id: str,
                         known_version: int | None = None) -> dict:
    """The records other services judge (docs/contracts.md). ``known_version``: the caller
    holds that version's records; while it is still current the answer is only
    ``{"enterprise_id", "records_version", "unchanged": True}`` (services/permits/records_cache.py)."""
    eid = _authorise(deps, actor_or_none, enterprise_id, domain.READ, "precheck")
    with deps.begin() as uow:
        repo = uow.repo
        row = repo.get(eid)
        if row is None:
            raise NotFound(NOT_FOUND)
        if known_version is not None and row.records_version == known_version:
            return {"enterprise_id": str(row.id), "records_version": row.records_version, "unchanged": True}
        staff = [s for s in repo.all_of("staff", eid)
                 if s.approval != domain.STAFF_JOIN_PENDING]  # a joiner not yet approved
        return {
            "enterprise_id": str(row.id), "uscc": row.uscc, "name": row.name or "",
            "enterprise_type": row.enterprise_type or "",
            "enterprise_type_label": domain.ENTERPRISE_TYPES.get(row.enterprise_type or "", ""),
            "region_code": row.region_code or "",
            "records_version": row.records_version,
            # what the enterprise already gave, for the 申报表's prefilled fields (permits)
            "profile": {"legal_representative": row.legal_representative or "",
                        "registered_address": row.registered_address or "",
                        "contact_name": row.contact_name or "", "contact_phone": row.contact_phone or "",
                        "email": row.email or ""},
            "finance": {"registered_capital_wan": row.registered_capital_wan,
                        "net_assets_wan": row.net_assets_wan},
            "staff": [{"id": str(s.id), "category": s.category, "name": s.name, "title": s.title,
                       "title_level": s.title_level, "skill_level": s.skill_level,
                       "specialty": s.specialty, "years_experience": s.years_experience,
                       "certificates": [{"kind": c.get("kind"), "number": c.get("number"),
                                         "specialty": c.get("specialty"),
                                         "valid_until": c.get("valid_until")}
                                        for c in s.certificates or []]} for s in staff],
            "projects": [{"id": str(p.id), "name": p.name, "category": p.category,
                          "category_label": domain.PROJECT_CATEGORIES.get(p.category, p.category),
                          "grade": p.grade,
                          "voltage_kv": p.voltage_kv, "contract_amount_wan": p.contract_amount_wan,
                          "length_km": p.length_km, "completed_on": _iso(p.completed_on)}
                         for p in repo.all_of("projects", eid)],
            "equipment": [{"id": str(e.id), "name": e.name, "kind": e.kind, "model": e.model,
                           "quantity": e.quantity} for e in repo.all_of("equipment", eid)],
        }
