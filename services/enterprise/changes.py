"""What a 变更申请 must carry besides the new values (plain Python, unit-tested).

Seed 002 (TSA): a change of the enterprise name is approved against the new 营业执照, so the
request takes the new licence scan, the reviewer sees it on the case, and a name change without it
is refused; on approval it becomes the enterprise's 营业执照."""

from __future__ import annotations

from typing import Any

from services.common.errors import field_error

# field changed -> the file the request must carry for it
REQUIRED_FILES = {"name": "business_licence"}
FILE_LABELS = {"business_licence": "变更后的营业执照"}
FILE_MESSAGES = {"business_licence": "企业名称变更须上传变更后的营业执照（PDF 扫描件）"}


def required_files(changes: dict[str, Any]) -> list[str]:
    return sorted({REQUIRED_FILES[name] for name in changes if name in REQUIRED_FILES})


def file_errors(changes: dict[str, Any], files: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """A missing required file, per file field; a file the changes do not need is refused too."""
    errors: dict[str, list[dict[str, str]]] = {}
    needed = required_files(changes)
    for purpose in needed:
        if not files.get(purpose):
            errors[purpose] = [field_error("required", FILE_MESSAGES[purpose])]
    for purpose in files:
        if purpose not in needed and files.get(purpose):
            errors[purpose] = [field_error("not_needed", "本次变更无需上传该附件")]
    return errors
