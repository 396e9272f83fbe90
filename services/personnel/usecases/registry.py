"""注册人员查询 and its Excel export."""

from __future__ import annotations

import base64

from services.common.schema_errors import load_or_fail
from services.personnel import export, records, views
from services.personnel.schemas import SearchSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import Deps, _today

# openpyxl (up to 5,000 rows) runs in a worker process of the service (renderpool.py).
EXPORT_JOB = "services.personnel.export:export_people"


def search_registered(deps: Deps, actor: dict, filters: dict | None = None) -> dict:
    f = load_or_fail(SearchSchema(), filters or {})
    eid, region = s.search_scope(deps, actor)
    with deps.begin() as uow:
        rows = uow.repo.search(f, eid, region)
        limit = f["limit"]
        items = [views.certificate_view(deps.types, c, p) for c, p in rows[:limit]]
        cursor = None
        if len(rows) > limit:
            last = rows[limit - 1][0]
            cursor = f"{last.created_at.isoformat()}|{last.id}"
        return {"items": items, "next_cursor": cursor}


def export_registered(deps: Deps, actor: dict, filters: dict | None = None) -> dict:
    filename, data, rows = export_workbook(deps, actor, filters)
    return {
        "filename": filename,
        "content_type": export.XLSX_CONTENT_TYPE,
        "content_b64": base64.b64encode(data).decode(),
        "rows": rows,
    }


def export_workbook(deps: Deps, actor: dict, filters: dict | None = None) -> tuple[str, bytes, int]:
    """(file name, .xlsx bytes, rows) of the register the actor may search, up to 5,000 rows."""
    f = load_or_fail(SearchSchema(), {**(filters or {}), "limit": 5000})
    eid, region = s.search_scope(deps, actor)
    today = _today()
    with deps.begin() as uow:
        rows = uow.repo.search(f, eid, region)[:5000]
        out = []
        for cert, person in rows:
            view = views.certificate_view(deps.types, cert, person, today)
            out.append(
                {
                    **records.person_dict(person),
                    "gender": person.gender,
                    "id_type": person.id_type,
                    "certificate_type": view["type_name"],
                    "class_code": cert.class_code,
                    "registration_number": cert.registration_number,
                    "qualification_number": cert.qualification_number,
                    "certificate_number": cert.certificate_number,
                    "specialties": cert.specialties,
                    "issued_on": cert.issued_on,
                    "valid_until": cert.valid_until,
                    "status": view["status"],
                    "enterprise_name": cert.enterprise_name,
                    "mobile": person.mobile,
                }
            )
        uow.audit("personnel.export", actor_id=(actor or {}).get("id"), rows=len(out))
        uow.commit()
    data = deps.render(EXPORT_JOB, out) if deps.render else export.export_people(out)
    return export.export_filename(today), data, len(out)
