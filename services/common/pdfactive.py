"""Active content in a PDF: what would run, start a program, send data or carry another file.

A PDF that does any of that when opened (JavaScript, a launch, import or submit action,
additional actions /AA on open, close, page or field events, embedded files, XFA forms, rich
media) is refused by ``services.common.uploads.check_pdf`` as ``active_content``: scans and
generated forms never need it, and a reviewer opens every upload. Links (/URI, /GoTo),
outlines and an /OpenAction that only shows a page are fine.

The walk starts at the trailer's /Root and visits every reachable object once. Names are
compared after pypdf has undone ``#xx`` escapes, objects inside compressed object streams are
reached like any other, and stream data is never decoded (only stream dictionaries are read).
"""

from __future__ import annotations

from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

# Keys whose mere presence means the document carries something that runs or is carried along.
_ACTIVE_KEYS = {
    "/JS": "JavaScript脚本", "/JavaScript": "JavaScript脚本", "/AA": "自动执行动作",
    "/EmbeddedFiles": "嵌入文件", "/EF": "嵌入文件", "/XFA": "XFA动态表单", "/RichMediaContent": "富媒体内容",
}
# Action types (/S) that run code, start programs, send data or open embedded documents.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript脚本", "/Launch": "启动外部程序的动作", "/ImportData": "导入数据的动作",
    "/SubmitForm": "提交表单的动作", "/GoToE": "打开嵌入文件的动作", "/Rendition": "多媒体动作",
    "/RichMediaExecute": "富媒体动作",
}
_ACTIVE_TYPES = {"/EmbeddedFile": "嵌入文件", "/RichMedia": "富媒体内容", "/FileAttachment": "嵌入文件"}
# A scanned or generated document of 20 pages has hundreds to a few thousand objects; a file
# that needs more than this to walk is refused rather than walked without end.
MAX_WALKED_OBJECTS = 200_000


class TooComplex(Exception):
    pass


def find_active_content(reader: PdfReader) -> str | None:
    """What in the PDF would run or carry another file (a Chinese label), or None.

    Walks every object reachable from the trailer's /Root, each indirect object once; stream
    data is never decoded. Raises TooComplex past MAX_WALKED_OBJECTS.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer.get("/Root")]
    walked = 0
    while stack:
        obj = stack.pop()
        if hasattr(obj, "idnum"):  # IndirectObject
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        walked += 1
        if walked > MAX_WALKED_OBJECTS:
            raise TooComplex()
        if isinstance(obj, DictionaryObject):  # StreamObject too: its dictionary only
            for name, value in obj.items():
                if name in _ACTIVE_KEYS:
                    return _ACTIVE_KEYS[name]
                if name in ("/S", "/Subtype", "/Type"):
                    table = _ACTIVE_ACTIONS if name == "/S" else _ACTIVE_TYPES
                    label = table.get(str(value.get_object() if hasattr(value, "get_object") else value))
                    if label is not None:
                        return label
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None
