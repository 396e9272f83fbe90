"""注册人员 Excel export as a background job (issue 17): the register page's 导出Excel link asks
personnel to start the job and lands on the job's page, which refreshes itself (an HTTP
``Refresh`` header: no script) until the workbook is ready, then offers the download (a
redirect to object storage's short-lived URL). A large export or a cold render worker no
longer outlasts the gateway's RPC timeout (the synchronous /personnel/registered/export stays
for the API).

The mixin uses PersonnelViews' ``_pn_actor`` and ``_registered_filters`` (GatewayApp has both).
"""

from __future__ import annotations

from urllib.parse import quote

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

REFRESH_SECONDS = 2


class ExportViews:
    ROUTES = [
        Rule("/personnel/registered/export-job", endpoint="personnel_export_job", methods=["GET"]),
        Rule("/personnel/exports/<job_id>", endpoint="personnel_export_status", methods=["GET"]),
        Rule("/personnel/exports/<job_id>/download", endpoint="personnel_export_download",
             methods=["GET"]),
    ]

    def on_personnel_export_job(self, request: Request) -> Response:
        actor = self._pn_actor(request, staff=True)
        filters = self._registered_filters(request)
        job = self.clients(request).personnel.start_export(actor, filters)
        return redirect(f"/personnel/exports/{quote(job['id'])}", code=303)

    def on_personnel_export_status(self, request: Request, job_id: str) -> Response:
        actor = self._pn_actor(request, staff=True)
        job = self.clients(request).personnel.export_status(actor, job_id)
        response = self.render(request, "personnel_export_job.html", job=job)
        if job["status"] == "running":
            response.headers["Refresh"] = str(REFRESH_SECONDS)
        return response

    def on_personnel_export_download(self, request: Request, job_id: str) -> Response:
        actor = self._pn_actor(request, staff=True)
        job = self.clients(request).personnel.export_status(actor, job_id)
        if not job.get("download_url"):
            return redirect(f"/personnel/exports/{quote(job['id'])}", code=303)
        return redirect(job["download_url"], code=303)
