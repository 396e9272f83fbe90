"""Shared pieces of the API schemas: the open base, the error body, an inline file."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields


class ApiSchema(Schema):
    """An API body: answers may carry fields the document does not name (no additionalProperties).
    A subclass's class name is its component name and its docstring the component's description."""

    class Meta:
        unknown = EXCLUDE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc:
            cls.Meta = type("Meta", (cls.Meta,), {"description": " ".join(doc.split())})


def schema(name: str, declared: dict[str, Any], description: str = "",
           base: type[Schema] = ApiSchema) -> type[Schema]:
    """A schema class built from a dict of fields (for fields named in a loop); ``name`` is its
    component name in the document."""
    return type(name, (base,), {**declared, "__doc__": description or None})


def strings(*names: str, nullable: bool = False) -> dict[str, fields.String]:
    return {name: fields.String(allow_none=True) if nullable else fields.String() for name in names}


def text(description: str, **kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


def obj(description: str = "", **kwargs: Any) -> fields.Dict:
    """A JSON object whose keys the document leaves open."""
    return fields.Dict(metadata={"description": description} if description else {}, **kwargs)


def objects(description: str = "", **kwargs: Any) -> fields.List:
    return fields.List(obj(description), **kwargs)


def string_list(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(), **kwargs)


class AnyObject(ApiSchema):
    """A JSON object (the answer's fields are described in the operation's summary)."""


class FieldProblem(ApiSchema):
    code = fields.String()
    message = fields.String()


class ErrorDetail(ApiSchema):
    code = text("stable machine-readable code", required=True)
    message = text("zh-CN message for people", required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FieldProblem)),
                         metadata={"description": "per field: a list of {code, message}"})


class Error(ApiSchema):
    error = fields.Nested(ErrorDetail)


class FileUpload(ApiSchema):
    """A file sent inline (or a claim from POST /api/v1/uploads in its place)."""

    filename = fields.String()
    content_b64 = fields.String(required=True)


class InlineFile(ApiSchema):
    filename = fields.String()
    content_b64 = fields.String()


class Reason(ApiSchema):
    reason = fields.String()


class Ids(ApiSchema):
    ids = string_list()
