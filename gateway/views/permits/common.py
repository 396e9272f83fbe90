"""资质许可's action tables, helpers and PermitsBase (the helpers the pages and the API use)."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.clients.permits import PermitsClient
from services.common.access import READ_ONLY

ENTERPRISE_KINDS = ("enterprise", "sub")
# page action → the permits RPC it calls
PAGE_ACTIONS: dict[str, Callable[..., dict]] = {
    "precheck": PermitsClient.run_precheck,
    "form": PermitsClient.generate_form,
    "preview": PermitsClient.preview,
    "confirm": PermitsClient.confirm_commitment,
    "submit": PermitsClient.submit,
    "resubmit": PermitsClient.resubmit,
    "withdraw": PermitsClient.withdraw,
    "terminate": PermitsClient.terminate,
    "discard": PermitsClient.discard,
}
API_ACTIONS: dict[str, Callable[..., dict]] = {
    "precheck": PermitsClient.run_precheck,
    "form": PermitsClient.generate_form,
    "signed-scan": PermitsClient.upload_signed_scan,
    "preview": PermitsClient.preview,
    "commitment-open": PermitsClient.open_commitment,
    "commitment-confirm": PermitsClient.confirm_commitment,
    "submit": PermitsClient.submit,
    "resubmit": PermitsClient.resubmit,
    "withdraw": PermitsClient.withdraw,
    "terminate": PermitsClient.terminate,
    "discard": PermitsClient.discard,
}
_API_ACTION_RULE = "any(" + ", ".join(f'"{a}"' for a in API_ACTIONS) + ")"


def page_link(fix_link: str) -> str:
    """The pre-check's fix links (``/enterprise?tab=<section>[&category=…]``) as 企业空间's pages."""
    path, _, query = fix_link.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    section = params.pop("tab", "basic")
    if path != "/enterprise" or section == "basic":
        return path
    rest = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/enterprise/{section}" + (f"?{rest}" if rest else "")


def _with_page_links(app: dict) -> dict:
    for item in (app.get("precheck") or {}).get("items") or []:
        item["fix_link"] = page_link(item.get("fix_link") or "/enterprise")
    return app


def licence_form(kind: str, licence: dict) -> dict[str, str]:
    """The /permits/new form filled from one certificate of 我的证书 (换证 / 补办 / 延续): the
    kind, the certificate and its categories and grades."""
    form = {"transaction_kind": kind, "original_licence_id": str(licence["id"])}
    for item in licence.get("items_raw") or []:
        form[f"grade.{item['category']}"] = item["grade"]
    return form


def _version(request: Request) -> int | None:
    raw = request.form.get("version") or request.args.get("version")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


class PermitsBase:
    """Helpers of the 资质许可 views."""

    # ---- helpers ------------------------------------------------------------------------------
    def _permits(self, request: Request) -> PermitsClient:
        """The permits service for this request (gateway/clients/permits.py)."""
        return self.clients(request).permits

    def _permits_actor(self, request: Request, write: bool = False) -> dict:
        return self.actor_for_rpc(request, kinds=ENTERPRISE_KINDS, module="permits", write=write)

    def _read_only(self, actor: dict) -> bool:
        return actor["kind"] == "sub" and READ_ONLY in actor["permissions"]

    def _back(self, application_id: str, notice: str = "", error: str = "") -> Response:
        query = f"?notice={notice}" if notice else (f"?error={error}" if error else "")
        return redirect(f"/permits/applications/{application_id}{query}", code=303)
