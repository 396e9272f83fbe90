"""业务目录维护 (issue 16 item 9): admins read the versions of each catalogue file, compare two,
publish a new one (validated as a whole catalogue with the loader, else refused with its
messages: ``catalogue_invalid``) and activate an earlier one (rollback). Both are audited; every
permits process uses the new active version from its next call (services/permits/catalogue_store.py).
Applications keep the version their draft was made under (services/permits/catalogue_versions.py).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from services.common.errors import Conflict, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.permits import catalogue_store
from services.permits import catalogue_versions as rules
from services.permits.catalogue import CatalogueError, load_text, load_texts
from services.permits.models import CatalogueVersion
from services.permits.usecases._support import Deps, _iso, require_staff

FAMILY_NOT_FOUND = "没有该业务目录"
FAMILY = validate.Regexp(rules.FAMILY_PATTERN, error="业务目录无效")
VERSION_NOT_FOUND = "没有该版本"


class PublishSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    family = fields.String(required=True, validate=FAMILY, error_messages={"required": "请选择业务目录"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=rules.MAX_TEXT,
                                                                error="请粘贴或上传目录文件内容（YAML）"),
                         error_messages={"required": "请粘贴或上传目录文件内容（YAML）",
                                         "null": "请粘贴或上传目录文件内容（YAML）",
                                         "invalid": "目录文件内容必须是文本"})
    comment = fields.String(required=True, validate=validate.Length(min=1, max=500, error="请填写修改说明"),
                            error_messages={"required": "请填写修改说明", "null": "请填写修改说明",
                                            "invalid": "修改说明必须是文本"})
    author = fields.String(load_default="", validate=validate.Length(max=200))


class ActivateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    family = fields.String(required=True, validate=FAMILY)
    number = fields.Integer(required=True, strict=False, validate=validate.Range(min=1),
                            error_messages={"required": "请选择版本", "invalid": "版本号无效"})
    comment = fields.String(load_default="", validate=validate.Length(max=500))
    author = fields.String(load_default="", validate=validate.Length(max=200))


def _row_view(row: CatalogueVersion) -> dict[str, Any]:
    return {"id": row.id, "family": row.family, "file": rules.file_name(row.family), "number": row.number,
            "sha256": row.sha256, "source": row.source, "source_label": rules.SOURCES.get(row.source, ""),
            "status": row.status, "status_label": rules.STATUSES.get(row.status, ""),
            "comment": row.comment or "", "created_by_name": row.created_by_name or "",
            "created_at": _iso(row.created_at), "activated_by_name": row.activated_by_name or "",
            "activated_at": _iso(row.activated_at)}


def _types_of(row: CatalogueVersion) -> tuple[dict[str, str], str]:
    """(type code → name, system) of a stored version (valid: it was checked when stored)."""
    types = load_text(rules.file_name(row.family), row.text)
    system = next((t.system for t in types.values()), "")
    return {code: t.name for code, t in types.items()}, system


def _rows(session: Any, family: str | None = None) -> list[CatalogueVersion]:
    query = select(CatalogueVersion).order_by(CatalogueVersion.family, CatalogueVersion.number.desc())
    if family is not None:
        query = query.where(CatalogueVersion.family == family)
    return list(session.scalars(query))


def _active_rows(session: Any) -> dict[str, CatalogueVersion]:
    rows = session.scalars(select(CatalogueVersion).where(CatalogueVersion.status == "active"))
    return {row.family: row for row in rows}


def _one(session: Any, family: str, number: int) -> CatalogueVersion:
    row = session.scalars(select(CatalogueVersion).where(CatalogueVersion.family == family,
                                                         CatalogueVersion.number == int(number))).first()
    if row is None:
        raise NotFound(VERSION_NOT_FOUND)
    return row


def _family_view(row: CatalogueVersion, count: int) -> dict[str, Any]:
    types, system = _types_of(row)
    return {"family": row.family, "file": rules.file_name(row.family), "system": system,
            "label": rules.family_label(types, system), "types": types, "versions": count,
            "active": _row_view(row)}


def families(deps: Deps, actor: dict) -> list[dict]:
    """Each catalogue file with its active version and how many versions it has."""
    require_staff(actor, admin=True)
    deps.catalogue.types  # noqa: B018 (seeds the versions on a fresh install)
    with deps.begin() as uow:
        rows = _rows(uow.session)
        active = _active_rows(uow.session)
        return [_family_view(row, sum(r.family == family for r in rows))
                for family, row in sorted(active.items())]


def history(deps: Deps, actor: dict, family: str) -> dict:
    """A family's versions, newest first (no texts)."""
    require_staff(actor, admin=True)
    deps.catalogue.types  # noqa: B018
    with deps.begin() as uow:
        rows = _rows(uow.session, str(family))
        active = next((r for r in rows if r.status == "active"), None)
        if active is None:
            raise NotFound(FAMILY_NOT_FOUND)
        return {**_family_view(active, len(rows)), "history": [_row_view(r) for r in rows]}


def version(deps: Deps, actor: dict, family: str, number: int) -> dict:
    """One version with its YAML text."""
    require_staff(actor, admin=True)
    with deps.begin() as uow:
        row = _one(uow.session, str(family), number)
        return {**_row_view(row), "text": row.text}


def diff(deps: Deps, actor: dict, family: str, old: int, new: int) -> dict:
    """What changed from version ``old`` to version ``new`` (unified diff rows)."""
    require_staff(actor, admin=True)
    with deps.begin() as uow:
        before, after = _one(uow.session, str(family), old), _one(uow.session, str(family), new)
        rows = rules.diff_rows(before.text, after.text, f"{before.number}/{rules.file_name(family)}",
                               f"{after.number}/{rules.file_name(family)}")
        return {"family": before.family, "file": rules.file_name(before.family), "old": _row_view(before),
                "new": _row_view(after), "rows": rows, **rules.diff_counts(rows)}


def _check_catalogue(session: Any, family: str, text: str) -> None:
    """The whole catalogue with ``text`` as ``family``'s active version must load, and keep
    every business type the active catalogue has; else ValidationFailed (``catalogue_invalid``)
    whose ``text`` field lists the loader's lines."""
    active = _active_rows(session)
    named = [(rules.file_name(f), row.text) for f, row in sorted(active.items()) if f != family]
    named.append((rules.file_name(family), text))
    try:
        loaded = load_texts(named, versions={rules.file_name(family): 0})  # marks this file's types
    except CatalogueError as exc:
        raise _invalid(exc.errors) from None
    before = set(load_text(rules.file_name(family), active[family].text)) if family in active else set()
    dropped = rules.removal_errors(family, before, loaded.versions)
    if dropped:
        raise _invalid(dropped)


def _invalid(lines: list[str]) -> ValidationFailed:
    found = {"text": [field_error("catalogue_invalid", line) for line in lines]}
    return ValidationFailed(rules.INVALID, found, code="catalogue_invalid")


def publish(deps: Deps, actor: dict, payload: dict) -> dict:
    """Store the text as the family's next version and activate it (audited), if the whole
    catalogue loads with it."""
    require_staff(actor, admin=True)
    data = load_or_fail(PublishSchema(), payload)
    family, text = data["family"], data["text"].replace("\r\n", "\n")
    deps.catalogue.types  # noqa: B018
    with deps.begin() as uow:
        session = uow.session
        catalogue_store.lock(session)
        current = _active_rows(session).get(family)
        if current is None:
            raise NotFound(FAMILY_NOT_FOUND)
        if current.sha256 == rules.digest(text):
            raise Conflict(rules.UNCHANGED, code="catalogue_unchanged")
        _check_catalogue(session, family, text)
        number = rules.next_number(catalogue_store.stored(session), family)
        row = catalogue_store.add_version(session, family, number, text, "admin", actor,
                                          data["comment"].strip(), data["author"])
        catalogue_store.activate(session, row, actor, data["author"])
        uow.audit("permits.catalogue.publish", actor_id=actor.get("id"), subject_id=family,
                  number=number, sha256=row.sha256, previous=current.number, comment=row.comment)
        uow.commit()
        return _row_view(row)


def activate(deps: Deps, actor: dict, payload: dict) -> dict:
    """Make an earlier (or a shipped, not yet active) version the active one (audited)."""
    require_staff(actor, admin=True)
    data = load_or_fail(ActivateSchema(), payload)
    family = data["family"]
    deps.catalogue.types  # noqa: B018
    with deps.begin() as uow:
        session = uow.session
        catalogue_store.lock(session)
        row = _one(session, family, data["number"])
        current = _active_rows(session).get(family)
        if current is not None and current.id == row.id:
            raise Conflict(rules.ALREADY_ACTIVE, code="catalogue_already_active")
        _check_catalogue(session, family, row.text)
        catalogue_store.activate(session, row, actor, data["author"])
        uow.audit("permits.catalogue.activate", actor_id=actor.get("id"), subject_id=family,
                  number=row.number, sha256=row.sha256,
                  previous=current.number if current is not None else None,
                  comment=data["comment"].strip())
        uow.commit()
        return _row_view(row)
