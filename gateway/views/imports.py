"""Admin imports in the background (services/common/import_jobs.py): the job page with its
progress bar (a meta refresh while it runs: no script), the rejected-row report as a download,
CIP 旧数据导入's upload page, and the JSON API for both kinds.

Kinds: ``exam-passes`` (考试合格数据, personnel; its upload and search page is /admin/exam-passes
in management.py) and ``legacy-staff`` (CIP 旧数据导入 of enterprises, staff and certificates,
enterprise). Every kind's service answers ``import_job(actor, job_id)`` and
``import_report(actor, job_id)``, and starts a job with its own RPC."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.apischemas.admin import ImportJob, ImportStart
from gateway.clients.enterprise import EnterpriseClient
from gateway.clients.personnel import PersonnelClient
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import Op, path_param
from gateway.views.forms import uploaded_file
from services.common.access import actor_from_account
from services.common.errors import ValidationFailed

KINDS: dict[str, dict[str, Any]] = {  # "start": the client method (from its class) starting a job
    "exam-passes": {"service": "personnel", "start": PersonnelClient.import_exam_passes,
                    "title": "考试合格数据导入", "back": "/admin/exam-passes",
                    "back_label": "返回考试合格数据"},
    "legacy-staff": {"service": "enterprise", "start": EnterpriseClient.import_legacy_staff,
                     "title": "CIP旧数据导入（企业、人员及证书）", "back": "/admin/legacy-import",
                     "back_label": "返回旧数据导入"},
}
REFRESH_SECONDS = 2
NO_FILE = "请选择要导入的Excel文件"
KIND_PARAM = path_param("kind", "exam-passes (考试合格数据) or legacy-staff (CIP 旧数据导入)")
JOB_PARAM = path_param("job_id", "the import job")


def _kind(kind: str) -> dict[str, Any]:
    found = KINDS.get(kind)
    if found is None:
        raise HTTPNotFound()
    return found


def csv_download(report: dict[str, Any]) -> Response:
    response = Response(base64.b64decode(report["content_b64"]), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"rejected.csv\"; filename*=UTF-8''{quote(report['filename'])}")
    return response


class ImportViews:
    OPENAPI_OPERATIONS = [
        Op("POST /api/v1/admin/imports/{kind}", "Admins: start an import {file: {filename, content_b64}} "
           "(.xlsx); it runs in the background (poll the job)", params=(KIND_PARAM,), body=ImportStart,
           ok=202, result=ImportJob, csrf=True, errors=(400, 401, 403, 404, 422, 503)),
        Op("GET /api/v1/admin/imports/{kind}/{job_id}", "An import job: status, progress (done/total, "
           "percent), counts, rejected rows", params=(KIND_PARAM, JOB_PARAM), result=ImportJob,
           errors=(401, 403, 404, 503)),
        Op("GET /api/v1/admin/imports/{kind}/{job_id}/report", "The job's rejected rows as CSV (行号, the "
           "file's columns, 原因)", params=(KIND_PARAM, JOB_PARAM), errors=(401, 403, 404, 503)),
    ]
    ROUTES = [
        Rule("/admin/legacy-import", endpoint="legacy_import", methods=["GET", "POST"]),
        Rule("/admin/imports/<kind>/<job_id>", endpoint="import_job", methods=["GET"]),
        Rule("/admin/imports/<kind>/<job_id>/report", endpoint="import_report", methods=["GET"]),
        Rule("/api/v1/admin/imports/<kind>", endpoint="api_import_start", methods=["POST"]),
        Rule("/api/v1/admin/imports/<kind>/<job_id>", endpoint="api_import_job", methods=["GET"]),
        Rule("/api/v1/admin/imports/<kind>/<job_id>/report", endpoint="api_import_report", methods=["GET"]),
    ]

    def start_import(self, request: Request, kind: str, actor: dict, upload: dict | None) -> dict:
        """Start a job of the kind; ValidationFailed (on ``file``) when nothing was uploaded."""
        spec = _kind(kind)
        if upload is None:
            raise ValidationFailed(NO_FILE, {"file": [{"code": "required", "message": NO_FILE}]})
        return spec["start"](self.clients(request).of(spec["service"]), actor, {"file": upload})

    def _admin(self, request: Request) -> dict:
        return actor_from_account(self.require(request, kinds=("admin",)))

    # ---- pages ---------------------------------------------------------------------------
    def on_legacy_import(self, request: Request) -> Response:
        """CIP 旧数据导入: the admin uploads the legacy export; the job page follows its progress."""
        actor = self._admin(request)
        errors, status = {}, 200
        if request.method == "POST":
            try:
                job = self.start_import(request, "legacy-staff", actor, uploaded_file(request, "file"))
                return redirect(f"/admin/imports/legacy-staff/{job['id']}", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        return self.render(request, "legacy_import.html", status=status, errors=errors)

    def on_import_job(self, request: Request, kind: str, job_id: str) -> Response:
        actor = self._admin(request)
        spec = _kind(kind)
        job = self.clients(request).of(spec["service"]).import_job(actor, job_id)
        return self.render(request, "import_job.html", job=job, spec=spec, kind=kind,
                           refresh=REFRESH_SECONDS if job["running"] else None)

    def on_import_report(self, request: Request, kind: str, job_id: str) -> Response:
        actor = self._admin(request)
        spec = _kind(kind)
        return csv_download(self.clients(request).of(spec["service"]).import_report(actor, job_id))

    # ---- JSON API ------------------------------------------------------------------------
    def on_api_import_start(self, request: Request, kind: str) -> Response:
        actor = self._admin(request)
        _kind(kind)
        payload = json_body(request)
        if not isinstance(payload, dict):
            return json_response(INVALID_JSON, 400)
        upload = payload.get("file") if isinstance(payload.get("file"), dict) else None
        return json_response(self.start_import(request, kind, actor, upload), 202)

    def on_api_import_job(self, request: Request, kind: str, job_id: str) -> Response:
        actor = self._admin(request)
        spec = _kind(kind)
        return json_response(self.clients(request).of(spec["service"]).import_job(actor, job_id), 200)

    def on_api_import_report(self, request: Request, kind: str, job_id: str) -> Response:
        return self.on_import_report(request, kind, job_id)
