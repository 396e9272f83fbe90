"""The business-type catalogue: shipped files load; bad files are refused with the path of the error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.permits.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue, load_file

SHIPPED = sorted(CATALOGUE_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_file_loads(path: Path):
    types = load_file(path)
    assert types
    for business_type in types.values():
        for category in business_type.categories.values():
            for grade in category.grades.values():
                assert grade.standards, f"{business_type.code}.{category.code}.{grade.code} has no standards"
                for std in grade.standards:
                    assert std["provenance"] in ("published", "uncertain", "plausible")


def test_the_three_required_types_are_shipped(catalogue):
    assert set(catalogue.types) >= {"hmq_maintenance", "pfl_power", "cip_safety"}
    hmq = catalogue.type("hmq_maintenance")
    assert {c.name for c in hmq.categories.values()} == {
        "路基路面养护",
        "桥梁养护",
        "隧道养护",
        "交通安全设施养护",
    }
    for code in ("subgrade_pavement", "bridge", "tunnel"):
        assert list(hmq.category(code).grades) == ["甲", "乙"]
        assert hmq.category(code).graded
    assert not hmq.category("safety_facility").graded
    pfl = catalogue.type("pfl_power")
    assert [c.name for c in pfl.categories.values()] == ["承装", "承修", "承试"]
    for category in pfl.categories.values():
        assert list(category.grades) == ["一级", "二级", "三级", "四级", "五级"]
    assert pfl.multi_category and not hmq.multi_category
    assert catalogue.type("cip_safety").name == "建筑施工企业安全生产许可证"


def test_published_figures_match_the_reference(catalogue):
    hmq = catalogue.type("hmq_maintenance")
    stds = {s["id"]: s for s in hmq.standards_for("subgrade_pavement", "甲")}
    assert stds["net_assets"]["min"] == 3000 and stds["net_assets"]["provenance"] == "published"
    assert stds["workers"]["min"] == 30 and stds["workers_senior"]["min"] == 6
    pfl = catalogue.type("pfl_power")
    one = {s["id"]: s for s in pfl.standards_for("install", "一级")}
    assert one["tech_staff"]["min"] == 50 and one["tech_staff_mid"]["min"] == 30
    assert one["skilled"]["min"] == 60 and one["hv_electricians"]["min"] == 30
    assert one["performance"]["provenance"] == "plausible"
    five = {s["id"]: s for s in pfl.standards_for("test", "五级")}
    assert five["skilled"]["min"] == 5 and five["hv_electricians"]["min"] == 3
    assert pfl.category("install").grade("二级").max_voltage_kv == 220
    assert pfl.category("install").grade("一级").max_voltage_kv is None


def test_lanes_time_limits_and_review_chains(catalogue):
    pfl = catalogue.type("pfl_power")
    assert pfl.time_limit_days("new") == 20
    assert pfl.time_limit_days("new", "free_trade_zone") == 15
    assert pfl.time_limit_days("registration_change", "free_trade_zone") == 10
    assert pfl.time_limit_days("renewal", "free_trade_zone") == 10
    assert pfl.time_limit_days("reissue", "free_trade_zone") == 0
    with pytest.raises(KeyError, match="不提供容缺受理通道"):
        pfl.time_limit_days("cancellation", "fast_track")
    hmq = catalogue.type("hmq_maintenance")
    assert hmq.review_chain("new") == {"case_type": "hmq.maintenance.new", "levels": ["city", "province"]}
    with pytest.raises(KeyError, match="不办理"):
        hmq.transaction("licence_change")


def test_required_attachments_differ_by_lane_nature_and_submitter(catalogue):
    pfl = catalogue.type("pfl_power")

    def codes(**kw):
        return {a["code"] for a in pfl.required_attachments("new", **kw)}

    normal = codes(lane="normal", nature="new", submitter="legal_rep")
    ftz = codes(lane="free_trade_zone", nature="new", submitter="legal_rep")
    assert "business_licence" in normal and "business_licence" not in ftz
    assert "constructor_certificates" in normal and "constructor_certificates" not in ftz
    assert ftz < normal
    merger = codes(lane="normal", nature="after_merger", submitter="legal_rep")
    split = codes(lane="normal", nature="after_split", submitter="legal_rep")
    assert merger - normal == {"merger_agreement"} and split - normal == {"split_resolution"}
    delegate = codes(lane="normal", nature="new", submitter="delegate")
    assert {"delegation_letter", "delegate_id"} <= delegate and "legal_rep_statement" not in delegate


def test_form_sections_follow_the_transaction_kind(catalogue):
    pfl = catalogue.type("pfl_power")
    new_codes = [s["code"] for s in pfl.form_sections("new")]
    assert "change" not in new_codes and "staff" in new_codes
    change_codes = [s["code"] for s in pfl.form_sections("registration_change")]
    assert "change" in change_codes and "staff" not in change_codes
    renewal_fields = [f["name"] for f in pfl.form_sections("renewal")[0]["fields"]]
    assert "downgrade" in renewal_fields


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _pfl() -> dict:
    return yaml.safe_load((CATALOGUE_DIR / "pfl_power.yaml").read_text(encoding="utf-8"))


def test_bad_number_refused_with_path(tmp_path):
    data = _pfl()
    data["types"]["pfl_power"]["categories"]["install"]["grades"]["一级"]["standards"][2]["min"] = "lots"
    with pytest.raises(CatalogueError) as info:
        load_file(_write(tmp_path, "pfl_power.yaml", data))
    assert (
        "pfl_power.yaml: types.pfl_power.categories.install.grades.一级.standards[2].min: Not a valid number"
        in info.value.errors
    )


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda t: t["categories"]["repair"]["grades"]["三级"]["standards"][0].update(kind="magic"),
            "types.pfl_power.categories.repair.grades.三级.standards[0].kind: Must be one of",
        ),
        (
            lambda t: t["categories"]["repair"]["grades"]["三级"]["standards"][0].update(
                title_level="expert"
            ),
            "types.pfl_power.categories.repair.grades.三级.standards[0].title_level: Must be one of",
        ),
        (
            lambda t: t["categories"]["test"]["grades"]["二级"]["extra_standards"][0].pop("within_years"),
            "types.pfl_power.categories.test.grades.二级.extra_standards[0].within_years: Missing data",
        ),
        (
            lambda t: t["categories"]["test"]["grades"]["二级"]["extra_standards"][1].update(
                equipment_kind="飞船"
            ),
            "types.pfl_power.categories.test.grades.二级.extra_standards[1].equipment_kind: “飞船” is not in",
        ),
        (
            lambda t: t["categories"]["test"]["grades"]["二级"]["standards"][0].pop("source"),
            "types.pfl_power.categories.test.grades.二级.standards[0].source: a published or uncertain",
        ),
        (
            lambda t: t["categories"]["test"]["grades"]["二级"]["standards"][0].pop("provenance"),
            "types.pfl_power.categories.test.grades.二级.standards[0].provenance: Missing data",
        ),
        (
            lambda t: t["transactions"]["new"]["time_limit_days"].pop("fast_track"),
            "types.pfl_power.transactions.new.time_limit_days: no time limit for lane “fast_track”",
        ),
        (
            lambda t: t["transactions"]["new"]["review"].update(levels=["county"]),
            "types.pfl_power.transactions.new.review.levels[0]: Must be one of",
        ),
        (
            lambda t: t["attachments"][0].update(natures=["after_war"]),
            "types.pfl_power.attachments[0].natures: “after_war” is not one of",
        ),
        (lambda t: t.update(colour="red"), "types.pfl_power.colour: Unknown field"),
        (
            lambda t: t["licence"].pop("validity_years"),
            "types.pfl_power.licence.validity_years: Missing data",
        ),
        (
            lambda t: t["categories"]["install"]["grades"]["一级"]["extra_standards"].append(
                dict(t["categories"]["install"]["grades"]["一级"]["extra_standards"][0])
            ),
            "types.pfl_power.categories.install.grades.一级: duplicate standard id “performance”",
        ),
    ],
)
def test_bad_files_refused_with_the_path(tmp_path, mutate, expected):
    data = _pfl()
    mutate(data["types"]["pfl_power"])
    with pytest.raises(CatalogueError) as info:
        load_file(_write(tmp_path, "pfl_power.yaml", data))
    assert any(line.startswith(f"pfl_power.yaml: {expected}") for line in info.value.errors), (
        info.value.errors
    )


def test_any_of_option_error_path(tmp_path):
    data = yaml.safe_load((CATALOGUE_DIR / "hmq_maintenance.yaml").read_text(encoding="utf-8"))
    stds = data["types"]["hmq_maintenance"]["categories"]["subgrade_pavement"]["grades"]["甲"]["standards"]
    index = next(i for i, s in enumerate(stds) if s["kind"] == "any_of")
    stds[index]["options"][1]["certificate_kinds"] = ["wizard"]
    with pytest.raises(CatalogueError) as info:
        load_file(_write(tmp_path, "hmq.yaml", data))
    assert any(
        line.startswith(
            f"hmq.yaml: types.hmq_maintenance.categories.subgrade_pavement.grades.甲."
            f"standards[{index}].options[1].certificate_kinds[0]: Must be one of"
        )
        for line in info.value.errors
    ), info.value.errors


def test_invalid_yaml_and_whole_catalogue_refused(tmp_path):
    (tmp_path / "good.yaml").write_text(
        (CATALOGUE_DIR / "cip_safety.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "broken.yaml").write_text("family: x\ntypes: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(tmp_path)
    assert len(info.value.errors) == 1 and info.value.errors[0].startswith("broken.yaml: line ")
    # the same type in two files is refused too
    (tmp_path / "broken.yaml").write_text(
        (CATALOGUE_DIR / "cip_safety.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="already defined"):
        load_catalogue(tmp_path)
    (tmp_path / "broken.yaml").unlink()
    assert set(load_catalogue(tmp_path).types) == {"cip_safety"}


def test_empty_directory_refused(tmp_path):
    with pytest.raises(CatalogueError, match="no catalogue files"):
        load_catalogue(tmp_path)


def test_admin_upload_text_is_validated_before_use():
    from services.permits.catalogue import load_text

    text = (CATALOGUE_DIR / "cip_safety.yaml").read_text(encoding="utf-8")
    assert set(load_text("upload.yaml", text)) == {"cip_safety"}
    with pytest.raises(CatalogueError) as info:
        load_text("upload.yaml", text.replace("validity_years: 3", "validity_years: forever"))
    assert info.value.errors == ["upload.yaml: types.cip_safety.licence.validity_years: Not a valid integer"]
