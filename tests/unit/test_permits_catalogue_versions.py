"""The versioned catalogue's pure rules (services/permits/catalogue_versions.py), the loader over
texts (load_texts) and the pieces that pin an application to its version (type_of, LazyCatalogue)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from services.permits import catalogue_versions as rules
from services.permits.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue, load_texts
from services.permits.catalogue_store import LazyCatalogue, shipped_texts
from services.permits.usecases._support import Deps, type_of


def stored(id_, family, number, text, source="shipped", status="retired"):
    return rules.Stored(id_, family, number, rules.digest(text), source, status)


def test_digest_is_the_sha256_of_the_utf8_text():
    assert rules.digest("family: 甲\n") == hashlib.sha256("family: 甲\n".encode()).hexdigest()


def test_a_fresh_install_stores_each_shipped_file_as_version_1_active():
    steps = rules.seed_steps({"b": "B", "a": "A"}, [])
    assert [(s.family, s.number, s.text, s.activate) for s in steps] == [
        ("a", 1, "A", True), ("b", 1, "B", True)]


def test_a_stored_text_is_not_stored_again():
    assert rules.seed_steps({"a": "A"}, [stored(1, "a", 1, "A", status="active")]) == []
    # also when it is not the active one (an admin activated another version)
    history = [stored(1, "a", 1, "A"), stored(2, "a", 2, "A2", source="admin", status="active")]
    assert rules.seed_steps({"a": "A"}, history) == []


def test_changed_shipped_yaml_becomes_the_next_version_active_only_over_a_shipped_one():
    shipped_active = [stored(1, "a", 1, "A", status="active")]
    step, = rules.seed_steps({"a": "A-new"}, shipped_active)
    assert (step.number, step.activate) == (2, True)

    admin_active = [stored(1, "a", 1, "A"), stored(2, "a", 2, "A2", source="admin", status="active")]
    step, = rules.seed_steps({"a": "A-new"}, admin_active)
    assert (step.number, step.activate) == (3, False)  # a deploy never replaces the admin's version


def test_next_number_counts_per_family():
    history = [stored(1, "a", 1, "A"), stored(2, "a", 2, "A2"), stored(3, "b", 1, "B")]
    assert rules.next_number(history, "a") == 3
    assert rules.next_number(history, "b") == 2
    assert rules.next_number(history, "c") == 1


def test_removing_a_business_type_is_refused_in_loader_style():
    assert rules.removal_errors("pfl_power", {"pfl_power"}, {"pfl_power", "extra"}) == []
    lines = rules.removal_errors("hmq_maintenance", {"hmq_maintenance", "old"}, {"hmq_maintenance"})
    assert lines == ["hmq_maintenance.yaml: types.old: 不能删除已有的业务类型（已有申请或证书按它办理）"]


def test_diff_rows_mark_added_removed_and_context_lines():
    old = "a: 1\nb: 2\nc: 3\n"
    new = "a: 1\nb: 20\nc: 3\nd: 4\n"
    rows = rules.diff_rows(old, new, "1/x.yaml", "2/x.yaml")
    kinds = [r["kind"] for r in rows]
    assert kinds[:3] == ["file", "file", "hunk"]
    assert {"kind": "removed", "text": "-b: 2"} in rows
    assert {"kind": "added", "text": "+b: 20"} in rows and {"kind": "added", "text": "+d: 4"} in rows
    assert {"kind": "same", "text": " a: 1"} in rows
    assert rules.diff_counts(rows) == {"added": 2, "removed": 1}
    assert rules.diff_rows(old, old, "1", "2") == []


def test_family_names():
    assert rules.file_name("pfl_power") == "pfl_power.yaml"
    assert rules.family_of("pfl_power.yaml") == "pfl_power"
    assert rules.FAMILY_PATTERN.match("pfl_power") and not rules.FAMILY_PATTERN.match("../x")
    name = "承装（修、试）电力设施许可证"
    assert rules.family_label({"t": name}, "PFL") == f"{name}（PFL）"


def test_load_texts_is_load_catalogue_over_texts_and_records_versions():
    shipped = shipped_texts(CATALOGUE_DIR)
    named = [(rules.file_name(f), text) for f, text in shipped.items()]
    from_files = load_catalogue()
    loaded = load_texts(named, versions={"pfl_power.yaml": 7})
    assert set(loaded.types) == set(from_files.types)
    assert loaded.versions == {"pfl_power": 7}
    assert loaded.type("pfl_power").required_attachments("new") == \
        from_files.type("pfl_power").required_attachments("new")


def test_load_texts_refuses_the_whole_catalogue_with_the_loaders_lines():
    shipped = shipped_texts(CATALOGUE_DIR)
    broken = shipped["pfl_power"].replace("validity_years: 6", "validity_years: 六年", 1)
    assert broken != shipped["pfl_power"]
    with pytest.raises(CatalogueError) as refused:
        load_texts([("pfl_power.yaml", broken), ("hmq_maintenance.yaml", shipped["hmq_maintenance"])])
    assert any(line.startswith("pfl_power.yaml: types.pfl_power.licence.validity_years")
               for line in refused.value.errors), refused.value.errors
    # the same type in two files
    with pytest.raises(CatalogueError) as twice:
        load_texts([("a.yaml", shipped["pfl_power"]), ("b.yaml", shipped["pfl_power"])])
    assert any("already defined in another file" in line for line in twice.value.errors)


def test_an_application_uses_the_type_of_its_catalogue_version():
    catalogue = load_catalogue()
    asked = []

    def type_at(version_id, code):
        asked.append((version_id, code))
        return catalogue.type(code)

    deps = Deps(begin=None, catalogue=catalogue, store=None, records=None, audit_alone=None,  # type: ignore[arg-type]
                may_read_case=None, render=None, type_at=type_at)  # type: ignore[arg-type]
    app = SimpleNamespace(catalogue_version_id=3, type_code="pfl_power")
    assert type_of(deps, app).code == "pfl_power"  # type: ignore[arg-type]
    assert asked == [(3, "pfl_power")]
    plain = Deps(begin=None, catalogue=catalogue, store=None, records=None, audit_alone=None,  # type: ignore[arg-type]
                 may_read_case=None, render=None)  # type: ignore[arg-type]
    assert type_of(plain, app).code == "pfl_power"  # type: ignore[arg-type]


def test_the_lazy_catalogue_asks_once_and_only_when_used():
    catalogue = load_catalogue()
    calls = []

    def resolve():
        calls.append(1)
        return catalogue

    lazy = LazyCatalogue(resolve)
    assert calls == []
    assert lazy.type("pfl_power").code == "pfl_power"
    assert set(lazy.types) == set(catalogue.types) and lazy.versions == {}
    assert calls == [1]
