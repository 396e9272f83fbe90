"""Thin adapters between permits' service layer and its pure domain modules.

Where the domain API does not (yet) offer what the service needs, the gap is bridged here
and nowhere else, so it can be removed when the domain grows it:

- ``form_fields``: the values of the 申报表 fields (catalogue ``source`` paths) for the
  review_requested ``fields`` and the pages.
- ``form_context`` / ``certificate_context``: build forms.py's contexts (plain data) from the
  service's rows; the service renders them in its render pool: ``FORM_JOB`` / ``CERTIFICATE_JOB``
  (``form_attachment`` / ``certificate_attachment``) run in a worker process, never in the
  service's own: WeasyPrint renders, pypdf checks the PDF like any upload, the service stores it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from services.common.attachments import CheckedUpload, check_upload
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


# The render pool's jobs (services/common/renderpool.py): WeasyPrint in a worker process.
FORM_JOB = "services.permits.adapters:form_attachment"
CERTIFICATE_JOB = "services.permits.adapters:certificate_attachment"
RENDER_JOBS = (FORM_JOB, CERTIFICATE_JOB)
RENDER_PRELOAD = ("services.permits.forms:warm_up",)  # WeasyPrint, pango and the CJK fonts


def form_context(
    business_type: BusinessType,
    application: Mapping[str, Any],
    records: Mapping[str, Any],
    generated_on: date,
    attachments: list[dict[str, Any]],
) -> dict[str, Any]:
    """What ``FORM_JOB`` renders as the 申报表 (forms.application_form_context)."""
    return forms.application_form_context(
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


def certificate_context(business_type: BusinessType, licence: licences.Licence) -> dict[str, Any]:
    """What ``CERTIFICATE_JOB`` renders (with the verify URL) as the certificate."""
    return forms.licence_context(licence, business_type)


def _checked(filename: str, pdf: bytes, purpose: str) -> CheckedUpload:
    return check_upload({"filename": filename, "content_b64": base64.b64encode(pdf).decode()}, purpose)


def form_attachment(context: Mapping[str, Any], filename: str) -> CheckedUpload:
    """Render job: the 申报表 PDF, checked (page count, report) as every stored PDF is."""
    return _checked(filename, forms.render_application_form(context), "form")


def certificate_attachment(context: Mapping[str, Any], verify_url: str, filename: str) -> CheckedUpload:
    """Render job: the certificate PDF with its QR code, checked as every stored PDF is."""
    return _checked(filename, forms.render_licence(context, verify_url), "certificate")


def kind_label(kind: str) -> str:
    return TRANSACTION_KINDS.get(kind, kind)


def today_in_beijing(now: datetime) -> date:
    return (now + timedelta(hours=8)).date()
