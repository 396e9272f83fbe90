"""The versioned catalogue as each permits process reads it (services/permits/catalogue_versions.py
has the rules).

- ``active(begin)``: the catalogue of the active versions. Every call that uses the catalogue
  asks the database which versions are active (one small query on a tiny table, in a
  transaction of its own); the catalogue is rebuilt only when that answer changed. So a
  version an admin publishes or activates is what every permits process uses from its next
  call on, however many processes there are, with no message to miss.
- ``type_at(begin, version_id, code)``: a business type as one version defines it: what an
  application made under that version keeps using. Versions never change, so each version's
  parsed types are cached by id (a few dozen at most).
- The first use in a process seeds the table from the shipped YAML (``seed_steps``), under an
  advisory lock that publishing takes too, and pins applications made before versions existed
  to version 1 of their family.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update

from services.permits import catalogue_versions as rules
from services.permits.catalogue import CATALOGUE_DIR, BusinessType, Catalogue, load_text
from services.permits.models import Application, CatalogueVersion

Begin = Callable[[], AbstractContextManager[Any]]
LOCK_KEY = 0x5EED_CA7A  # pg_advisory_xact_lock: seeding and publishing, one at a time
CACHED_VERSIONS = 64


def lock(session: Any) -> None:
    """Serialise the writers of catalogue_versions (numbers, the one active version)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def stored(session: Any) -> list[rules.Stored]:
    rows = session.execute(select(CatalogueVersion.id, CatalogueVersion.family, CatalogueVersion.number,
                                  CatalogueVersion.sha256, CatalogueVersion.source, CatalogueVersion.status))
    return [rules.Stored(*row) for row in rows]


def shipped_texts(directory: Path = CATALOGUE_DIR) -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.yaml"))}


def add_version(session: Any, family: str, number: int, body: str, source: str, actor: dict | None,
                comment: str, author: str = "") -> CatalogueVersion:
    row = CatalogueVersion(family=family, number=number, text=body, sha256=rules.digest(body),
                           source=source, status="retired", comment=comment,
                           created_by=(actor or {}).get("id"), created_by_name=author)
    session.add(row)
    session.flush()
    return row


def activate(session: Any, row: CatalogueVersion, actor: dict | None, author: str = "") -> None:
    """Make ``row`` its family's active version (the caller holds ``lock``)."""
    session.execute(update(CatalogueVersion).where(CatalogueVersion.family == row.family,
                                                   CatalogueVersion.status == "active",
                                                   CatalogueVersion.id != row.id)
                    .values(status="retired"))
    session.flush()
    row.status = "active"
    row.activated_by = (actor or {}).get("id")
    row.activated_by_name = author
    row.activated_at = datetime.now(UTC)
    session.flush()


def seed(session: Any, shipped: dict[str, str]) -> list[rules.SeedStep]:
    """Store the shipped files' new texts (rules.seed_steps); the first version of a family
    also pins the family's applications that have no version yet."""
    lock(session)
    before = stored(session)
    steps = rules.seed_steps(shipped, before)
    for step in steps:
        row = add_version(session, step.family, step.number, step.text, "shipped", None,
                          "随代码发布的业务目录", "系统")
        if step.activate:
            activate(session, row, None, "系统")
        if step.number == 1:
            codes = list(load_text(rules.file_name(step.family), step.text))
            session.execute(update(Application).where(Application.catalogue_version_id.is_(None),
                                                      Application.type_code.in_(codes))
                            .values(catalogue_version_id=row.id))
    return steps


class CatalogueStore:
    """One per process (services/permits/service.py)."""

    def __init__(self, shipped: Callable[[], dict[str, str]] = shipped_texts) -> None:
        self._shipped = shipped
        self._seeded = False
        self._types: OrderedDict[int, tuple[str, dict[str, BusinessType]]] = OrderedDict()
        self._active: tuple[tuple[int, ...], Catalogue] | None = None

    def _seed(self, begin: Begin) -> None:
        if self._seeded:
            return
        with begin() as uow:
            seed(uow.session, self._shipped())
            uow.commit()
        self._seeded = True

    def _version_types(self, session: Any, version_id: int) -> tuple[str, dict[str, BusinessType]]:
        if version_id in self._types:
            self._types.move_to_end(version_id)
            return self._types[version_id]
        row = session.get(CatalogueVersion, version_id)
        if row is None:
            raise KeyError(f"业务目录版本{version_id}不存在")
        found = (row.family, load_text(rules.file_name(row.family), row.text))
        self._types[version_id] = found
        while len(self._types) > CACHED_VERSIONS:
            self._types.popitem(last=False)
        return found

    def active(self, begin: Begin) -> Catalogue:
        """The catalogue of the active versions (rebuilt when they changed)."""
        self._seed(begin)
        with begin() as uow:
            session = uow.session
            ids = tuple(session.scalars(select(CatalogueVersion.id).where(CatalogueVersion.status == "active")
                                        .order_by(CatalogueVersion.family)))
            if self._active is not None and self._active[0] == ids:
                return self._active[1]
            types: dict[str, BusinessType] = {}
            versions: dict[str, int] = {}
            files = []
            for version_id in ids:
                family, found = self._version_types(session, version_id)
                files.append(rules.file_name(family))
                types.update(found)
                versions.update({code: version_id for code in found})
        built = Catalogue(types=types, files=tuple(files), versions=versions)
        self._active = (ids, built)
        return built

    def type_at(self, begin: Begin, version_id: int | None, code: str) -> BusinessType:
        """The type as version ``version_id`` defines it (None: the active catalogue's)."""
        if version_id is None:
            return self.active(begin).type(code)
        cached = self._types.get(version_id)
        if cached is None:
            with begin() as uow:
                cached = self._version_types(uow.session, version_id)
        try:
            return cached[1][code]
        except KeyError:
            raise KeyError(f"没有业务类型“{code}”") from None


class LazyCatalogue:
    """``Deps.catalogue`` of one call: the active catalogue, asked for on first use only (a call
    that never reads the catalogue costs no query)."""

    def __init__(self, resolve: Callable[[], Catalogue]) -> None:
        self._resolve = resolve
        self._catalogue: Catalogue | None = None

    @property
    def current(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = self._resolve()
        return self._catalogue

    @property
    def types(self) -> dict[str, BusinessType]:
        return self.current.types

    @property
    def versions(self) -> dict[str, int]:
        return self.current.versions

    def type(self, code: str) -> BusinessType:
        return self.current.type(code)
