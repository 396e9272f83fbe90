"""业务目录维护 (issue 16 item 9): admins keep the business-type catalogue (the YAML of each
qualification/licence family) as versions: the families with their active version, a family's
history, one version's YAML, the difference between two versions, publishing a new version
(pasted or uploaded; permits validates the whole catalogue and refuses it with the loader's
lines: 422 ``catalogue_invalid``) and activating an earlier one. Applications keep the version
their draft was made under (services/permits/catalogue_versions.py). Admins only."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from marshmallow import EXCLUDE, Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.apischemas.admin import (
    CatalogueActivate,
    CatalogueDiff,
    CatalogueFamily,
    CataloguePublish,
    CatalogueVersion,
)
from gateway.http import INVALID_JSON, json_body, json_response
from gateway.openapi import Op, path_param, query
from gateway.queries import invalid_query
from gateway.views.forms import flash
from services.common.access import actor_from_account
from services.common.errors import Conflict, ValidationFailed, field_error

ADMIN = ("admin",)
MAX_FILE_BYTES = 1_000_000
NOT_UTF8 = "文件不是UTF-8编码的文本，请另存为UTF-8后重新上传"
TOO_LARGE = "文件超过1MB上限"
FAMILY_PARAM = path_param("family", "the catalogue file's stem, e.g. pfl_power")
NUMBER_PARAM = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
                "description": "the version number within the family"}


class DiffQuery(Schema):
    """``?old=&new=``: the two version numbers to compare."""

    class Meta:
        unknown = EXCLUDE

    old = fields.Integer(required=True, validate=validate.Range(min=1, error="版本号无效"),
                         error_messages={"required": "请选择要比较的两个版本", "invalid": "版本号必须是整数"})
    new = fields.Integer(required=True, validate=validate.Range(min=1, error="版本号无效"),
                         error_messages={"required": "请选择要比较的两个版本", "invalid": "版本号必须是整数"})


def diff_query(args: Any) -> tuple[int, int]:
    try:
        data = DiffQuery().load(dict(args))
    except MarshmallowError as exc:
        raise invalid_query(exc.normalized_messages()) from None
    return data["old"], data["new"]


def file_text(storage: Any) -> str | None:
    """The uploaded YAML as text (None: no file chosen); ValidationFailed on ``file``."""
    if storage is None or not storage.filename:
        return None
    data = storage.stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(TOO_LARGE, {"file": [field_error("too_large", TOO_LARGE)]})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(NOT_UTF8, {"file": [field_error("not_utf8", NOT_UTF8)]}) from None


def author_of(account: dict) -> str:
    """Who published, as the history shows it (the account's name, else its e-mail)."""
    return str(account.get("contact_name") or account.get("email") or "管理员")[:200]


class CatalogueAdminViews:
    ROUTES = [
        Rule("/admin/catalogue", endpoint="catalogue_admin", methods=["GET"]),
        Rule("/admin/catalogue/<family>", endpoint="catalogue_family", methods=["GET", "POST"]),
        Rule("/admin/catalogue/<family>/diff", endpoint="catalogue_diff_page", methods=["GET"]),
        Rule("/admin/catalogue/<family>/versions/<int:number>", endpoint="catalogue_version_page",
             methods=["GET"]),
        Rule("/admin/catalogue/<family>/versions/<int:number>/activate", endpoint="catalogue_activate_page",
             methods=["POST"]),
        Rule("/api/v1/admin/catalogue", endpoint="api_catalogue_families", methods=["GET"]),
        Rule("/api/v1/admin/catalogue/<family>", endpoint="api_catalogue_family", methods=["GET", "POST"]),
        Rule("/api/v1/admin/catalogue/<family>/diff", endpoint="api_catalogue_diff", methods=["GET"]),
        Rule("/api/v1/admin/catalogue/<family>/versions/<int:number>", endpoint="api_catalogue_version",
             methods=["GET"]),
        Rule("/api/v1/admin/catalogue/<family>/versions/<int:number>/activate",
             endpoint="api_catalogue_activate", methods=["POST"]),
    ]
    OPENAPI_OPERATIONS = [
        Op("GET /api/v1/admin/catalogue", "Admins: the business-type catalogue files (families) with their "
           "active version", result=CatalogueFamily(many=True), errors=(401, 403, 503)),
        Op("GET /api/v1/admin/catalogue/{family}", "Admins: a family's versions, newest first (no texts)",
           params=(FAMILY_PARAM,), result=CatalogueFamily, errors=(401, 403, 404, 503)),
        Op("POST /api/v1/admin/catalogue/{family}", "Admins: publish a new version {text (YAML), comment}; "
           "the whole catalogue must load (422 catalogue_invalid, error.fields.text lists the loader's "
           "lines; 409 catalogue_unchanged); stored, activated and audited. Applications keep their "
           "version", params=(FAMILY_PARAM,), body=CataloguePublish, ok=201, result=CatalogueVersion,
           csrf=True, errors=(400, 401, 403, 404, 409, 422, 503)),
        Op("GET /api/v1/admin/catalogue/{family}/diff", "Admins: the unified diff between versions ?old= "
           "and ?new=", params=(FAMILY_PARAM, query(DiffQuery)), result=CatalogueDiff,
           errors=(401, 403, 404, 422, 503)),
        Op("GET /api/v1/admin/catalogue/{family}/versions/{number}", "Admins: one version with its YAML text",
           params=(FAMILY_PARAM, NUMBER_PARAM), result=CatalogueVersion, errors=(401, 403, 404, 503)),
        Op("POST /api/v1/admin/catalogue/{family}/versions/{number}/activate", "Admins: make this version "
           "the active one (rollback; validated like a publish, audited) {comment}",
           params=(FAMILY_PARAM, NUMBER_PARAM), body=CatalogueActivate, result=CatalogueVersion, csrf=True,
           errors=(400, 401, 403, 404, 409, 422, 503)),
    ]

    def _catalogue_admin(self, request: Request) -> tuple[dict, str]:
        account = self.require(request, kinds=ADMIN)  # type: ignore[attr-defined]
        return actor_from_account(account), author_of(account)

    def _catalogue_rpc(self, request: Request) -> Any:
        return self.clients(request).permits  # type: ignore[attr-defined]

    # ---- pages -----------------------------------------------------------------------------------
    def on_catalogue_admin(self, request: Request) -> Response:
        actor, _ = self._catalogue_admin(request)
        families = self._catalogue_rpc(request).catalogue_families(actor)
        return self.render(request, "catalogue_admin.html", families=families)  # type: ignore[attr-defined]

    def on_catalogue_family(self, request: Request, family: str) -> Response:
        actor, author = self._catalogue_admin(request)
        errors: dict = {}
        status, form = 200, {"text": "", "comment": ""}
        if request.method == "POST":
            form = {"text": request.form.get("text", ""), "comment": request.form.get("comment", "")}
            try:
                text = file_text(request.files.get("file")) or form["text"]
                published = self._catalogue_rpc(request).publish_catalogue(
                    actor, {"family": family, "text": text, "comment": form["comment"], "author": author})
                flash(request, f"已发布并启用第{published['number']}版。已提交的申请仍按其创建时的版本办理。")
                return redirect(f"/admin/catalogue/{quote(family)}", code=303)
            except ValidationFailed as exc:
                errors, status = exc.fields or {"text": [field_error(exc.code, exc.message)]}, 422
            except Conflict as exc:  # the same text as the active version
                errors, status = {"text": [field_error(exc.code, exc.message)]}, 409
        found = self._catalogue_rpc(request).catalogue_history(actor, family)
        versions = [v["number"] for v in found["history"]]
        return self.render(request, "catalogue_family.html", status=status,  # type: ignore[attr-defined]
                           family=found, errors=errors, form=form, versions=versions)

    def on_catalogue_version_page(self, request: Request, family: str, number: int) -> Response:
        actor, _ = self._catalogue_admin(request)
        found = self._catalogue_rpc(request).catalogue_version(actor, family, number)
        return self.render(request, "catalogue_version.html", version=found)  # type: ignore[attr-defined]

    def on_catalogue_diff_page(self, request: Request, family: str) -> Response:
        actor, _ = self._catalogue_admin(request)
        old, new = diff_query(request.args)
        found = self._catalogue_rpc(request).catalogue_diff(actor, family, old, new)
        return self.render(request, "catalogue_diff.html", diff=found)  # type: ignore[attr-defined]

    def on_catalogue_activate_page(self, request: Request, family: str, number: int) -> Response:
        actor, author = self._catalogue_admin(request)
        try:
            done = self._catalogue_rpc(request).activate_catalogue(
                actor, {"family": family, "number": number, "comment": request.form.get("comment", ""),
                        "author": author})
            flash(request, f"已启用第{done['number']}版。已提交的申请仍按其创建时的版本办理。")
        except ValidationFailed as exc:
            lines = [e["message"] for e in (exc.fields or {}).get("text", [])]
            flash(request, "；".join([f"未能启用第{number}版：{exc.message}", *lines]))
        except Conflict as exc:
            flash(request, f"未能启用第{number}版：{exc.message}")
        return redirect(f"/admin/catalogue/{quote(family)}", code=303)

    # ---- JSON API --------------------------------------------------------------------------------
    def on_api_catalogue_families(self, request: Request) -> Response:
        actor, _ = self._catalogue_admin(request)
        return json_response(self._catalogue_rpc(request).catalogue_families(actor), 200)

    def on_api_catalogue_family(self, request: Request, family: str) -> Response:
        actor, author = self._catalogue_admin(request)
        if request.method == "GET":
            return json_response(self._catalogue_rpc(request).catalogue_history(actor, family), 200)
        payload = json_body(request)
        if payload is None:
            return json_response(INVALID_JSON, 400)
        body = {"family": family, "text": payload.get("text"), "comment": payload.get("comment"),
                "author": author}
        return json_response(self._catalogue_rpc(request).publish_catalogue(actor, body), 201)

    def on_api_catalogue_version(self, request: Request, family: str, number: int) -> Response:
        actor, _ = self._catalogue_admin(request)
        return json_response(self._catalogue_rpc(request).catalogue_version(actor, family, number), 200)

    def on_api_catalogue_diff(self, request: Request, family: str) -> Response:
        actor, _ = self._catalogue_admin(request)
        old, new = diff_query(request.args)
        return json_response(self._catalogue_rpc(request).catalogue_diff(actor, family, old, new), 200)

    def on_api_catalogue_activate(self, request: Request, family: str, number: int) -> Response:
        actor, author = self._catalogue_admin(request)
        payload = json_body(request) if request.data else {}
        if payload is None:
            return json_response(INVALID_JSON, 400)
        body = {"family": family, "number": number, "comment": payload.get("comment") or "", "author": author}
        return json_response(self._catalogue_rpc(request).activate_catalogue(actor, body), 200)
