from urllib.parse import unquote

from services.common.storage import content_disposition


def test_content_disposition_keeps_utf8_name_and_ascii_fallback():
    header = content_disposition("法定代表人身份证.pdf")
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == "法定代表人身份证.pdf"


def test_quotes_cannot_break_the_header():
    header = content_disposition('a"b.pdf')
    assert header.count('"') == 2
