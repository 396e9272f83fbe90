"""Query parameters of the API's list routes: one marshmallow schema per route, checked in one place.

``check_query`` runs in the gateway's dispatch for every GET of an endpoint named in
``QUERY_SCHEMAS``, before the view: an unknown enum value, a number that is not one, or a cursor
that is not a cursor is a 422 with the stable code ``invalid_query`` and a Chinese message per
parameter, rather than being silently dropped (``?state_group=' OR '1'='1`` used to list
everything). Parameters a schema does not name are left to the view (``unknown = EXCLUDE``);
free text (``q``, names) is not judged here. The services check the values again: this is the
edge's contract, not the only check.

Codes that name catalogue entries (``type_code``, ``case_type``, ``step``) are checked for shape
only (the catalogues live in the services), which is enough to refuse quotes, spaces and SQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.wrappers import Request

from services.common.contracts.personnel import STATUSES as DECLARATION_STATUSES
from services.common.errors import ValidationFailed, field_error

MESSAGE = "查询条件无效，请检查后重试"
_CODE = validate.Regexp(r"^[A-Za-z0-9_]{1,64}$", error="参数值无效")
_CASE_TYPE = validate.Regexp(r"^[a-z][a-z0-9_]*(\.([a-z0-9_]+|\*)){0,3}$", error="业务类型无效")
_UUID = validate.Regexp(r"^[0-9a-fA-F-]{32,36}$", error="编号格式不正确")
_FLAG = ("0", "1")
_BOOL = ("0", "1", "true", "false")


def _one_of(choices: tuple[str, ...] | list[str], what: str) -> validate.OneOf:
    return validate.OneOf(list(choices), error=f"{what}只能是：{'、'.join(choices)}")


def _limit(maximum: int) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=maximum, error=f"每页条数应为1-{maximum}"),
                          error_messages={"invalid": "每页条数必须是整数"})


class _Cursor(fields.String):
    """A paging cursor as the services hand them out, judged by shape."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 512 or not _cursor_ok(self.kind, text):
            raise ValidationError("分页参数无效，请从第一页重新查询")
        return text


def _cursor_ok(kind: str, text: str) -> bool:
    if kind == "time_id":  # personnel: "<iso time>|<uuid>"
        at, _, ident = text.partition("|")
        return bool(at) and len(at) <= 40 and all(c in "0123456789-:T.+ Z" for c in at) \
            and _UUID.regex.match(ident) is not None  # type: ignore[union-attr]
    try:  # review: base64url of a JSON list [sort, value, case id]
        raw = base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())
        decoded = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(v, str) for v in decoded)


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE


class PermitsApplicationsQuery(_Query):
    state_group = fields.String(validate=_one_of(("pending", "submitted", "all"), "申报状态"))
    batched = fields.String(validate=_one_of(_FLAG, "是否已编入批次"))


class ReviewQueueQuery(_Query):
    case_type = fields.String(validate=_CASE_TYPE)
    step = fields.String(validate=_CODE)
    status = fields.String(validate=_one_of(
        ("active", "waiting", "done", "submitted", "in_review", "correction", "rectification", "approved",
         "rejected", "withdrawn", "terminated"), "办理状态"))
    overdue = fields.String(validate=_one_of(_BOOL, "是否超期"))
    mine = fields.String(validate=_one_of((*_BOOL, "on"), "只看我的"))
    sort = fields.String(validate=_one_of(("received", "due", "updated"), "排序"))
    cursor = _Cursor("review")
    limit = _limit(200)


class PersonnelPeopleQuery(_Query):
    type_code = fields.String(validate=_CODE)
    status = fields.String(validate=_CODE)
    cursor = _Cursor("time_id")
    limit = _limit(200)


class PersonnelDeclarationsQuery(_Query):
    type_code = fields.String(validate=_CODE)
    kind = fields.String(validate=_CODE)
    status = fields.String(validate=_one_of(tuple(DECLARATION_STATUSES), "申报状态"))
    reported = fields.String(validate=_one_of(_FLAG, "是否已上报"))
    cursor = _Cursor("time_id")
    limit = _limit(200)


class PersonnelBatchesQuery(_Query):
    reported = fields.String(validate=_one_of(_FLAG, "是否已上报"))


class PersonnelTransfersQuery(_Query):
    direction = fields.String(validate=_one_of(("incoming", "outgoing"), "转出转入方向"))


class PersonnelExpiringQuery(_Query):
    within_days = fields.Integer(validate=validate.Range(min=0, max=3660, error="天数应为0-3660"),
                                 error_messages={"invalid": "天数必须是整数"})
    type_code = fields.String(validate=_CODE)


class PersonnelRegisteredQuery(_Query):
    type_code = fields.String(validate=_CODE)
    certificate_kind = fields.String(validate=_CODE)
    status = fields.String(validate=_CODE)
    valid_until_before = fields.Date(error_messages={"invalid": "日期格式应为YYYY-MM-DD"})
    cursor = _Cursor("time_id")
    limit = _limit(5000)


class PersonnelAppealsQuery(_Query):
    status = fields.String(validate=_CODE)


class EnterpriseSectionQuery(_Query):
    category = fields.String(validate=_CODE)
    page = fields.Integer(validate=validate.Range(min=1, max=100_000, error="页码应为正整数"),
                          error_messages={"invalid": "页码必须是整数"})


class MessagesQuery(_Query):
    all = fields.String(validate=_one_of(_FLAG, "是否显示全部"))


QUERY_SCHEMAS: dict[str, type[Schema]] = {
    "api_permits_applications": PermitsApplicationsQuery,
    "api_review_queue": ReviewQueueQuery,
    "api_personnel_people": PersonnelPeopleQuery,
    "api_personnel_declarations": PersonnelDeclarationsQuery,
    "api_personnel_batches": PersonnelBatchesQuery,
    "api_personnel_transfers": PersonnelTransfersQuery,
    "api_personnel_expiring": PersonnelExpiringQuery,
    "api_personnel_registered": PersonnelRegisteredQuery,
    "api_personnel_appeals": PersonnelAppealsQuery,
    "api_enterprise_section": EnterpriseSectionQuery,
    "api_enterprise_of_section": EnterpriseSectionQuery,
    "api_messages": MessagesQuery,
}
_SCHEMAS: dict[str, Schema] = {}


def check_query(endpoint: str, request: Request) -> None:
    """422 ``invalid_query`` when a GET's parameters break the endpoint's query schema."""
    if request.method != "GET" or endpoint not in QUERY_SCHEMAS:
        return
    schema = _SCHEMAS.get(endpoint) or _SCHEMAS.setdefault(endpoint, QUERY_SCHEMAS[endpoint]())
    # An empty value means "not given" (forms send every field); every repeat of a name is checked.
    for key in set(request.args):
        for value in request.args.getlist(key):
            if value == "":
                continue
            errors = schema.validate({key: value})
            if errors:
                raise invalid_query(errors)


def invalid_query(errors: dict[str, Any]) -> ValidationFailed:
    """The 422 ``invalid_query`` for a query schema's errors (one message per parameter)."""
    return ValidationFailed(MESSAGE, {name: [field_error("invalid_query", _first(message))]
                                      for name, message in errors.items()}, code="invalid_query")


def _first(message: Any) -> str:
    while isinstance(message, (list, tuple)) and message:
        message = message[0]
    return str(message)
