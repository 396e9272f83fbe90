"""The OpenAPI operations of /api/v1/personnel (gateway/openapi.py turns them into the document)."""

from __future__ import annotations

from gateway.apischemas.common import AnyObject, FileUpload, Reason
from gateway.openapi import Body, Op, path_param
from gateway.views.personnel.apischemas import (
    AppealAnswer,
    AppealDecision,
    BatchDrafts,
    Bulk,
    Certificate,
    CertificateInput,
    CertificatePage,
    Declaration,
    DeclarationBatch,
    DeclarationPage,
    DeclarationStep,
    DraftForm,
    NewAppeal,
    NewDeclaration,
    Person,
    PersonalDeclaration,
    PersonalTransfer,
    PersonInput,
    PersonPage,
    Results,
    TransferDecision,
    TransferOut,
)
from gateway.views.personnel.common import BULK_ACTIONS, REGISTERED_FILTERS

READ = (401, 403, 404, 503)
WRITE = (400, 401, 403, 404, 409, 422, 503)
OWN = (401, 403, 503)
P = "/api/v1/personnel"
DECLARATION = f"{P}/declarations/{{declaration_id}}"


def _read(route: str, summary: str, result: Body = AnyObject, errors: tuple[int, ...] = READ) -> Op:
    return Op(f"GET {P}{route}", summary, result=result, errors=errors)


def _write(route: str, summary: str, body: Body, result: Body = AnyObject, ok: int = 200,
           action: tuple[str, tuple[str, ...]] | None = None, method: str = "POST") -> Op:
    """A change (CSRF header, the write refusals); ``action`` = (description, choices) of {action}."""
    params = (path_param("action", action[0], enum=action[1]),) if action else ()
    return Op(f"{method} {P}{route}", summary, body=body, result=result, ok=ok, csrf=True, errors=WRITE,
              params=params)


OPERATIONS = [
    _read("/catalogue", "Certificate types with classes, specialties, number formats and operations "
          "(attachments, reasons, change items, flags); ID types, genders, education, title levels",
          errors=OWN),
    _read("/people", "People the enterprise holds or declared (?q name or ID number, ?type_code, ?status, "
          "?limit, ?cursor)", PersonPage),
    _write("/people", "Add a person (ID number with the GB 11643 check; 422 per field)", PersonInput,
           Person, ok=201),
    _read("/people/{person_id}", "A person with certificates, open declarations and transfers", Person),
    _write("/people/{person_id}", "Change a person (409 open_declaration while a reported "
           "declaration is open)", PersonInput, Person, method="PATCH"),
    _write("/people/{person_id}/photo", "Upload the photo (jpg/png under 1 MB; a warning when the "
           "background is not one colour)", FileUpload, Person),
    _write("/people/{person_id}/certificates", "信息补录: record a certificate the enterprise holds from "
           "the old system (409 employed_elsewhere names the holder)", CertificateInput, Certificate, ok=201),
    _read("/certificates/{certificate_id}", "A certificate record with its history", Certificate),
    _write("/certificates/{certificate_id}", "信息补录 edit of an imported record (needs "
           "expected_version; refused once a declaration was reported: supplement_closed / "
           "open_declaration)", CertificateInput, Certificate, method="PATCH"),
    _read("/declarations", "申报列表: ?reported=1|0 (已上报 / 待上报), ?batch=1|0 (批次 / 单个), ?batch_id, "
          "?type_code, ?kind, ?status, ?q, ?limit, ?cursor", DeclarationPage),
    _write("/declarations", "Start a declaration: {type_code, kind, person_id | person | certificate_id, "
           "form}; eligibility is checked (Chinese message and code)", NewDeclaration, Declaration, ok=201),
    _read("/declarations/{declaration_id}", "A declaration with fields, attachments, history and allowed "
          "actions", Declaration),
    _write("/declarations/{declaration_id}", "Save a draft's form ({form, expected_version}; 409 "
           "stale_version); in 补正 only the reopened fields", DraftForm, Declaration, method="PATCH"),
    _write("/declarations/{declaration_id}/attachments/{code}", "Upload a required material (catalogue "
           "code; jpg/png under 2 MB or PDF, checked by content)", FileUpload, Declaration),
    _write("/declarations/{declaration_id}/{action}", "resubmit (after 补正), cancel ({reason}: 取消申请), "
           "withdrawal-decision ({agree, reason}: the enterprise on a person's withdrawal request), "
           "correct-qualification ({qualification_number, copy?}: 补正资质)", DeclarationStep, Declaration,
           action=("the step", ("resubmit", "cancel", "withdrawal-decision", "correct-qualification"))),
    _write("/bulk/{action}", "Several declarations at once, a result per item: delete / return ({ids, "
           "reason}); commitment ({declaration_ids | batch_id}: opens the letter, answers {token, opened_at, "
           "seconds_required, text}); report ({declaration_ids | batch_id, commitment_token, confirmed, "
           "form_key}: refused as a whole before the letter was open the configured seconds, 422 "
           "commitment_too_soon; the same form_key answers the first results)", Bulk, Results,
           action=("the action", BULK_ACTIONS)),
    Op(f"GET {P}/attachments/{{attachment_id}}", "303 to a short-lived download URL of a declaration file "
       "or photo", ok=303, errors=(401, 404)),
    _read("/batches", "申报批次 (?reported=1|0)"),
    _write("/batches", "Create a batch of drafts ({title, declaration_ids})", DeclarationBatch, ok=201),
    _read("/batches/{batch_id}", "One batch with its declarations"),
    _write("/batches/{batch_id}/{action}", "add / remove drafts ({declaration_ids})", BatchDrafts,
           action=("add or remove", ("add", "remove"))),
    _read("/transfers", "Transfers (?direction=incoming|outgoing)"),
    _write("/transfers", "调出: the old employer names the new one ({certificate_id, to_uscc})", TransferOut,
           ok=201),
    _write("/transfers/decision", "TSA: the enterprise consents to or refuses persons' transfer requests "
           "({ids, decision: consent|refuse, reason}), a result per item", TransferDecision, Results),
    _write("/transfers/{transfer_id}/{action}", "调入: accept (opens the transfer_in draft, answers the "
           "declaration) or return ({reason}; until that declaration is reported); cancel (the old "
           "employer, before acceptance)", Reason, action=("accept, return or cancel",
                                                          ("accept", "return", "cancel"))),
    _read("/re-registration", "重新注册: find a cancelled record by ?type_code, ?name, ?id_number (409 "
          "still_registered)", Certificate, errors=(401, 403, 404, 409, 503)),
    _read("/expiring", "人员到期预警: certificates expiring within ?within_days (default 90), ?type_code"),
    _read("/registered", "注册人员查询: ?" + ", ?".join(REGISTERED_FILTERS) + ", ?limit, ?cursor "
          "(enterprises: their staff; reviewers and admins: their region)", CertificatePage),
    _read("/registered/export", "The same search as an Excel file (Chinese headers; UTF-8 file name in "
          "Content-Disposition)", None),
    _read("/appeals", "申辩管理: anomalies raised by reviewers (?status); enterprises see theirs, reviewers "
          "their region"),
    _write("/appeals", "Reviewers: raise an anomaly {enterprise_id, person_id, kind, detail, deadline}",
           NewAppeal),
    _write("/appeals/{appeal_id}/close", "Reviewers: decide an answered appeal {outcome: uphold|dismiss|"
           "ask_more, opinion}", AppealDecision),
    _write("/appeals/{appeal_id}/answer", "Answer an appeal: {explanation, evidence: [{filename, "
           "content_b64}]}", AppealAnswer),
    _write("/me/declarations", "个人用户 (REG): file a personal declaration {type_code, kind, "
           "enterprise_uscc, person?, certificate_id?, form}; the named enterprise reports or returns it",
           PersonalDeclaration, Declaration, ok=201),
    _read("/me/declarations", "个人用户: the person's own declarations", errors=OWN),
    _read("/me/certificates", "个人用户: the person's own certificates", errors=OWN),
    _write("/me/declarations/{declaration_id}/withdrawal", "个人用户: ask to withdraw a declaration still at "
           "省级未受理 / 部级未受理 ({reason}; 409 withdrawal_not_allowed)", Reason, Declaration),
    _read("/me/transfers", "个人用户: the person's own transfers", errors=OWN),
    _write("/me/transfers", "个人用户 (TSA): ask to transfer ({certificate_id, direction: out|in, to_uscc}); "
           "the enterprise consents, then the reviewers", PersonalTransfer, ok=201),
]
