import pytest
import yaml

from services.common.errors import ValidationFailed
from services.personnel.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    default_catalogue,
    load_catalogue,
    parse_catalogue,
)
from services.personnel.windows import RenewalRule


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def raw():
    return yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


def refused(data):
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue(yaml.safe_dump(data, allow_unicode=True))
    return exc.value.errors


def test_shipped_catalogue_loads_every_family(cat):
    assert set(cat.types) == {"constructor_2", "safety", "transport_safety", "reg_engineer", "reg_architect",
                              "electrician"}
    assert default_catalogue().types.keys() == cat.types.keys()
    assert {t.system for t in cat.types.values()} == {"CIP", "TSA", "REG", "PFL"}
    constructor = cat.type("constructor_2")
    assert list(constructor.operations) == ["supplement", "initial", "renewal", "add_item",
                                            "re_registration", "change", "reissue", "transfer_out",
                                            "transfer_in", "cancellation"]
    assert list(cat.type("safety").operations) == ["supplement", "new", "extension", "change", "reissue",
                                                   "transfer_out", "transfer_in", "cancellation"]


@pytest.mark.parametrize(("value", "ok"), [
    ("NMG1234567", True), ("nmg0004151", True), ("NMG 123 4567", True),
    ("NMG123456", False), ("NMG12345678", False), ("NMC1234567", False), ("NMG123456A", False), ("", False),
])
def test_nmg_qualification_numbers(cat, value, ok):
    t = cat.type("constructor_2")
    if ok:
        assert t.check_number("qualification_number", value).startswith("NMG")
    else:
        with pytest.raises(ValidationFailed) as exc:
            t.check_number("qualification_number", value)
        code = exc.value.fields["qualification_number"][0]["code"]
        assert code == ("required" if not value else "format")
        if value:
            assert "NMG（大写字母）加7位数字" in exc.value.message


@pytest.mark.parametrize(("value", "ok"), [
    ("蒙建安C(2016)0002101", True), ("蒙建安C1（2015）0000001", True), ("蒙建安a(2014)0000496", True),
    ("蒙建安B(2011)0002266", True), ("蒙建安C4(2016)0002101", False), ("京建安C1(2015)0000001", False),
    ("蒙建安B(11)0002266", False),
])
def test_safety_certificate_numbers(cat, value, ok):
    t = cat.type("safety")
    if ok:
        assert "（" not in t.check_number("certificate_number", value)
    else:
        with pytest.raises(ValidationFailed):
            t.check_number("certificate_number", value)


def test_registration_number_from_the_seed(cat):
    t = cat.type("constructor_2")
    assert t.check_number("registration_number", "蒙215080907445") == "蒙215080907445"
    with pytest.raises(ValidationFailed):
        t.check_number("registration_number", "215080907445")


def test_classes_and_kinds(cat):
    safety = cat.type("safety")
    assert safety.kind_for_class("C2") == "safety_c" and safety.kind_for_class("A") == "safety_a"
    assert safety.check_class("C3") == "C3"
    with pytest.raises(ValidationFailed) as exc:
        safety.check_class("D")
    assert "C1（专职安全生产管理人员（机械类））" in exc.value.message
    assert cat.type("constructor_2").kind_for_class() == "constructor_2"
    assert cat.type("constructor_2").check_class(None) is None


def test_specialties(cat):
    t = cat.type("constructor_2")
    assert t.check_specialties(["建筑工程", "机电工程", "建筑工程"]) == ["建筑工程", "机电工程"]
    with pytest.raises(ValidationFailed) as exc:
        t.check_specialties(["航天工程"])
    assert "可选：建筑工程" in exc.value.message
    with pytest.raises(ValidationFailed):
        t.check_specialties([])
    with pytest.raises(ValidationFailed) as exc:
        cat.type("reg_engineer").check_specialties(["一级注册结构工程师", "注册电气工程师"])
    assert "只能注册一个专业" in exc.value.message


def test_operations_review_and_attachments(cat):
    t = cat.type("constructor_2")
    assert t.review_chain("initial") == {"case_type": "personnel.constructor_2.initial",
                                         "levels": ["city", "province"]}
    assert cat.type("reg_engineer").review_chain("initial")["levels"] == ["province", "ministry"]
    with pytest.raises(ValueError):
        t.review_chain("supplement")
    with pytest.raises(ValidationFailed) as exc:
        t.operation("extension")
    assert "二级建造师不办理“证书延期”" in exc.value.message
    required = [a["code"] for a in t.required_attachments("initial")]
    assert "diploma" not in required and "photo" in required
    missing = t.missing_attachments("initial", ["photo", "id_card"])
    assert [a["code"] for a in missing] == ["qualification_certificate", "labour_contract", "signed_form"]
    assert t.operation("cancellation").reasons[-1] == "法律、法规规定应当注销注册的其他情形"
    assert len(t.operation("cancellation").reasons) == 12
    assert cat.type("transport_safety").operation("transfer_out").consent
    assert cat.type("reg_engineer").operation("initial").personal_withdrawal
    found_type, found_op = cat.by_case_type("personnel.safety.extension")
    assert (found_type.code, found_op.kind) == ("safety", "extension")
    assert [x.code for x in cat.by_module("registered")] == ["reg_engineer", "reg_architect"]


def test_renewal_rules(cat):
    assert cat.type("transport_safety").renewal_rule() == RenewalRule(3, 2, 3)
    assert cat.type("reg_architect").renewal_rule() == RenewalRule(3, 0, 2)
    with pytest.raises(ValidationFailed):
        cat.type("nonexistent")


# ---------------------------------------------------------------- refusals name the path

def test_bad_regex_is_refused_with_its_path():
    data = raw()
    data["types"]["constructor_2"]["numbers"]["qualification_number"]["pattern"] = "^NMG(\\d{7}$"
    errors = refused(data)
    assert errors[0].startswith("certificate_types.yaml: types.constructor_2.numbers.qualification_number"
                                ".pattern: not a valid regular expression")


def test_schema_errors_carry_the_path():
    data = raw()
    data["types"]["safety"]["operations"]["new"]["review"]["levels"] = ["county"]
    data["types"]["safety"]["validity_years"] = "three"
    data["types"]["electrician"]["operations"]["join"]["attachments"][0]["colour"] = True
    errors = refused(data)
    assert "certificate_types.yaml: types.safety.operations.new.review.levels[0]: Must be one of: city, " \
           "province, ministry" in errors
    assert "certificate_types.yaml: types.safety.validity_years: Not a valid integer" in errors
    assert "certificate_types.yaml: types.electrician.operations.join.attachments[0].colour: " \
           "Unknown field" in errors


def test_unknown_operation_kind_and_missing_review():
    data = raw()
    data["types"]["safety"]["operations"]["upgrade"] = {"label": "升级", "attachments": []}
    del data["types"]["safety"]["operations"]["new"]["review"]
    errors = refused(data)
    assert any(e.startswith("certificate_types.yaml: types.safety.operations.upgrade") for e in errors)
    data = raw()
    del data["types"]["safety"]["operations"]["new"]["review"]
    assert refused(data) == ["certificate_types.yaml: types.safety.operations.new.review: "
                             "Missing data for required field"]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda t: t["operations"]["extension"].update(window=False), "operations.extension.window"),
    (lambda t: t["operations"]["change"].pop("change_items"), "operations.change.change_items"),
    (lambda t: t["operations"]["cancellation"].update(reason_text=False), "operations.cancellation"),
    (lambda t: t["operations"].pop("transfer_out"), "types.safety.operations: transfer_in without"),
    (lambda t: t["operations"]["new"]["attachments"].append({"code": "photo", "name": "x"}),
     "duplicate code “photo”"),
    (lambda t: t["operations"]["change"]["review"].update(case_type="personnel.safety.new"),
     "case_type: already used by operation"),
    (lambda t: t["certificate_kind_by_class"].pop("C3"), "must map every class exactly (C3)"),
    (lambda t: t.update(certificate_kind="safety_a"), "exactly one of certificate_kind"),
    (lambda t: t["operations"]["supplement"].update(review={"case_type": "personnel.safety.x",
                                                            "levels": ["city"]}), "has no review"),
    (lambda t: t["numbers"]["certificate_number"].pop("source"), "needs its source"),
])
def test_cross_checks(mutate, expected):
    data = raw()
    mutate(data["types"]["safety"])
    errors = refused(data)
    assert any(expected in e for e in errors), errors


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue("types: [unclosed")
    assert "not valid YAML" in exc.value.errors[0]
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(tmp_path / "none.yaml")
    assert exc.value.errors[0].startswith("none.yaml: (file): cannot be read")
    with pytest.raises(CatalogueError):
        parse_catalogue("- a list")
