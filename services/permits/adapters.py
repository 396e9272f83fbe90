"""Thin adapters between permits' service layer and its pure domain modules.

Where the domain API does not (yet) offer what the service needs, the gap is bridged here
and nowhere else, so it can be removed when the domain grows it:

- ``form_fields``: the values of the 申报表 fields (catalogue ``source`` paths) for the
  review_requested ``fields`` and the pages.
- ``render_form_pdf`` / ``render_certificate_pdf``: build forms.py's contexts from the
  service's rows and render (called through eventlet.tpool by the service).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from services.permits import forms, licences
from services.permits.catalogue import LANES, TRANSACTION_KINDS, BusinessType


def selection_text(business_type: BusinessType, items: list[dict[str, str]]) -> str:
    return "、".join(business_type.selection_label(i["category"], i["grade"]) for i in items)


def form_fields(
    business_type: BusinessType, application: Mapping[str, Any], records: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """``{name: {label, value}}`` for every scalar 申报表 field of the transaction kind."""
    kind = application["transaction_kind"]
    app_values = {
        "transaction_label": business_type.transaction(kind)["label"],
        "selection_text": selection_text(business_type, application["items"]),
        "number": application.get("number"),
        "original_licence_number": application.get("original_licence_number"),
        "lane": LANES.get(application.get("lane") or "normal"),
        "nature": (business_type.natures or {}).get(application.get("nature") or "", None),
        "submitter": (business_type.submitters or {}).get(application.get("submitter") or "", None),
    }
    sources = {
        "application": app_values,
        "enterprise": forms.enterprise_values(records),
        "finance": dict(records.get("finance") or {}),
        "values": dict(application.get("values") or {}),
    }
    result: dict[str, dict[str, Any]] = {}
    for section in business_type.form_sections(kind):
        for field in section.get("fields") or []:
            root, _, key = field["source"].partition(".")
            value = sources.get(root, {}).get(key)
            result[f"{section['code']}.{field['name']}"] = {"label": field["label"], "value": value}
    result["application.lane"] = {"label": "办理通道", "value": app_values["lane"]}
    if app_values["nature"]:
        result["application.nature"] = {"label": "申请性质", "value": app_values["nature"]}
    if app_values["submitter"]:
        result["application.submitter"] = {"label": "申请人", "value": app_values["submitter"]}
    return result


def correction_inputs(business_type: BusinessType, kind: str, names: list[str]) -> dict[str, dict[str, str]]:
    """The 申报表 fields a correction reopened that the enterprise can type in.

    Review names a field as the form shows it (``<section>.<field>``, see ``form_fields``);
    the application keeps typed values under the field's ``values.<key>`` source. Returns
    ``{review name: {"key": value key, "label": label}}``; fields taken from the enterprise's
    records (not typed here) are left out: those are fixed in 企业空间.
    """
    wanted = set(names)
    inputs: dict[str, dict[str, str]] = {}
    for section in business_type.form_sections(kind):
        for field in section.get("fields") or []:
            name = f"{section['code']}.{field['name']}"
            root, _, key = field["source"].partition(".")
            if root == "values" and (name in wanted or field["source"] in wanted or key in wanted):
                inputs[name] = {"key": key, "label": field["label"]}
    return inputs


def render_form_pdf(
    business_type: BusinessType,
    application: Mapping[str, Any],
    records: Mapping[str, Any],
    generated_on: date,
    attachments: list[dict[str, Any]],
) -> bytes:
    """The 申报表 as PDF through the domain's forms.py (context, then Jinja2 + WeasyPrint)."""
    context = forms.application_form_context(
        business_type,
        application["transaction_kind"],
        application={
            **application,
            "selections": [(i["category"], i["grade"]) for i in application["items"]],
        },
        records=records,
        values=application.get("values") or {},
        generated_on=generated_on,
        attachments=attachments,
        precheck_summary=application.get("precheck_summary"),
    )
    return forms.render_application_form(context)


def render_certificate_pdf(business_type: BusinessType, licence: licences.Licence, verify_url: str) -> bytes:
    """The certificate with a QR code to the public verify page (forms.py)."""
    return forms.render_licence(forms.licence_context(licence, business_type), verify_url)


def kind_label(kind: str) -> str:
    return TRANSACTION_KINDS.get(kind, kind)


def today_in_beijing(now: datetime) -> date:
    return (now + timedelta(hours=8)).date()
