"""The OpenAPI operations of /api/v1/permits (gateway/openapi.py turns them into the document)."""

from __future__ import annotations

from gateway.apischemas.common import AnyObject, FileUpload
from gateway.openapi import Op, path_param
from gateway.views.permits.apischemas import (
    BatchItem,
    CorrectionValues,
    Credit,
    DraftChange,
    Lane,
    Licence,
    PermitApplication,
    PermitBatch,
    PermitDraft,
    PublicLicence,
    StepBody,
)
from gateway.views.permits.common import API_ACTIONS

APP = "/api/v1/permits/applications/{application_id}"
WRITE = (400, 401, 403, 404, 409, 422)
OPERATIONS = [
    Op("GET /api/v1/permits/catalogue", "Qualification and licence types: categories, grades, transaction "
       "kinds, lanes", result=AnyObject(many=True), errors=(401,)),
    Op("GET /api/v1/permits/catalogue/{type_code}", "One type with its admission standards per grade and "
       "required attachments",
       params=(path_param("type_code", "e.g. hmq_maintenance, pfl_power, cip_safety"),),
       result=AnyObject, errors=(401, 404)),
    Op("GET /api/v1/permits/catalogue/{type_code}/lanes", "The lanes (一般程序 / 容缺受理 / 自贸区) the "
       "signed-in enterprise may use for `kind` (query, default new) of this type: code, label, available, "
       "reasons (why not)", params=(path_param("type_code", "e.g. pfl_power"),), result=Lane(many=True),
       errors=(401, 403, 404)),
    Op("GET /api/v1/permits/applications", "The enterprise's applications (?state_group=pending|submitted|"
       "all, ?batched=1|0)", result=PermitApplication(many=True), errors=(401, 403)),
    Op("POST /api/v1/permits/applications", "Create an application draft (X-Idempotency-Key: the same key "
       "returns the same draft)", body=PermitDraft, ok=201, result=PermitApplication, csrf=True,
       errors=(400, 401, 403, 409, 422, 503)),
    Op(f"GET {APP}", "One application with pre-check, materials, history timeline",
       result=PermitApplication, errors=(401, 404)),
    Op(f"PATCH {APP}", "Change a draft's 申报表 values / lane / owed standards (needs `version`; a stale "
       "version is 409 stale_version)", body=DraftChange, result=PermitApplication, csrf=True, errors=WRITE),
    Op(f"POST {APP}/{{action}}", "A lifecycle step: precheck, form (申报表 PDF), signed-scan ({filename, "
       "content_b64}), preview, commitment-open, commitment-confirm (refused until the letter was open the "
       "configured seconds), submit / resubmit (X-Idempotency-Key), withdraw / terminate ({reason}), "
       "discard. Optional `version` in the body: 409 when stale; an illegal step is 409 "
       "invalid_transition quoting the rule",
       params=(path_param("action", "the step", enum=list(API_ACTIONS)),), body=StepBody,
       result=PermitApplication, csrf=True, errors=(*WRITE, 503)),
    Op(f"PUT {APP}/correction", "补正: change the 申报表 fields review reopened (values: {field name as "
       "review named it, its value key or values.<key>: new text}); any other field is 422 not_reopened; "
       "only while the application waits for 补正 (else 409 invalid_transition); optional `version` (409 "
       "stale_version). Resubmit with POST .../resubmit", body=CorrectionValues, result=PermitApplication,
       csrf=True, errors=WRITE),
    Op(f"POST {APP}/materials/{{code}}", "Upload a required material (catalogue attachment code), an owed "
       "material or a corrected attachment", params=(path_param("code", "attachment code"),),
       body=FileUpload, result=PermitApplication, csrf=True, errors=WRITE),
    Op("GET /api/v1/permits/attachments/{attachment_id}", "303 to a short-lived download URL of an "
       "application file or certificate", ok=303, errors=(401, 404)),
    Op("GET /api/v1/permits/batches", "申报批次 with their applications", result=AnyObject(many=True),
       errors=(401, 403)),
    Op("POST /api/v1/permits/batches", "Create a batch", body=PermitBatch, ok=201, result=AnyObject,
       csrf=True, errors=(400, 401, 403, 422)),
    Op("GET /api/v1/permits/batches/{batch_id}", "One batch", result=AnyObject, errors=(401, 404)),
    Op("POST /api/v1/permits/batches/{batch_id}/{action}", "add / remove ({application_id}); submit "
       "(X-Idempotency-Key) and delete answer {results: [{application_id, ok, code, message}]}, one per item",
       params=(path_param("action", "add, remove, submit or delete",
                          enum=["add", "remove", "submit", "delete"]),),
       body=BatchItem, result=AnyObject, csrf=True, errors=(400, 401, 403, 404, 409)),
    Op("GET /api/v1/permits/licences", "我的证书: the enterprise's licences with live status and, when "
       "flagged, why their standards are no longer met (at_risk)", result=Licence(many=True),
       errors=(401, 403)),
    Op("GET /api/v1/permits/credit", "The local credit register (容缺受理 eligibility; reviewers, admins)",
       result=AnyObject(many=True), errors=(401, 403)),
    Op("PUT /api/v1/permits/credit", "Set an enterprise's credit (good / fair / poor; admins)", body=Credit,
       result=AnyObject, csrf=True, errors=(400, 401, 403, 422)),
    Op("GET /api/v1/verify/{token}", "Public: a licence's non-sensitive fields and live status (the QR "
       "code's target)", params=(path_param("token", "from the certificate's QR code"),),
       result=PublicLicence, errors=(404,)),
]
