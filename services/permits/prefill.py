"""申报表 fields the enterprise already gave in 企业空间 (注册地址, 法定代表人, 联系人, 联系电话,
电子邮箱): a new application starts with them filled from the enterprise's record, and the
enterprise may still change them in the wizard (they stay ``values.*`` inputs of the form).
Issue 15 item 12.

Pure: the business type and kind (which typed fields its form has), what the applicant typed and
the records (``enterprise.records_for_precheck``, its ``profile``) in; the values to store out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.permits.catalogue import BusinessType

# value key of the 申报表 (catalogue ``source: values.<key>``) → the enterprise profile's field
FROM_PROFILE = {
    "address": "registered_address",
    "legal_representative": "legal_representative",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "email": "email",
}


def typed_keys(business_type: BusinessType, kind: str) -> list[str]:
    """The ``values.<key>`` inputs of the form of ``kind``, in form order."""
    keys: list[str] = []
    for section in business_type.form_sections(kind):
        for field in section.get("fields") or []:
            root, _, key = str(field.get("source") or "").partition(".")
            if root == "values" and field.get("input") and key not in keys:
                keys.append(key)
    return keys


def prefilled(business_type: BusinessType, kind: str, values: Mapping[str, Any],
              records: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every empty profile-backed input of the form filled from the records;
    what the applicant typed always wins."""
    profile = records.get("profile") or {}
    result = dict(values)
    for key in typed_keys(business_type, kind):
        source = FROM_PROFILE.get(key)
        if source and not str(result.get(key) or "").strip() and profile.get(source):
            result[key] = profile[source]
    return result


def form_inputs(business_type: BusinessType, kind: str, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The typed fields of the form of ``kind`` as the wizard edits them: key, label, value."""
    labels: dict[str, str] = {}
    for section in business_type.form_sections(kind):
        for field in section.get("fields") or []:
            root, _, key = str(field.get("source") or "").partition(".")
            if root == "values" and field.get("input"):
                labels.setdefault(key, field["label"])
    return [{"key": key, "label": labels[key], "value": values.get(key)}
            for key in typed_keys(business_type, kind)]
