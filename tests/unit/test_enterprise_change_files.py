"""A name change carries the new 营业执照 (issue 15, item 6; seed 002)."""

from services.enterprise.changes import file_errors, required_files

UPLOAD = {"filename": "新营业执照.pdf", "content_b64": "JVBERi0="}


def test_a_name_change_needs_the_new_business_licence():
    assert required_files({"name": "新名称"}) == ["business_licence"]
    assert file_errors({"name": "新名称"}, {})["business_licence"][0]["code"] == "required"
    assert file_errors({"name": "新名称", "registered_address": "x"}, {"business_licence": UPLOAD}) == {}


def test_other_changes_need_no_file_and_refuse_one():
    assert required_files({"legal_representative": "李四"}) == []
    assert file_errors({"legal_representative": "李四"}, {}) == {}
    errors = file_errors({"legal_representative": "李四"}, {"business_licence": UPLOAD})
    assert errors["business_licence"][0]["code"] == "not_needed"
