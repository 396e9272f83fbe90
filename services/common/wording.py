"""Small wording rules for text people read (issue 16 item 7), pure and unit-tested."""

from __future__ import annotations


def joined(name: str | None, label: str | None) -> str:
    """A business type's name and a transaction label as one title, without saying a word
    twice: 公路养护作业单位资质 + 资质申报 is 公路养护作业单位资质申报 (not 资质资质申报)."""
    name, label = (name or "").strip(), (label or "").strip()
    for size in range(min(len(name), len(label)), 1, -1):
        if name.endswith(label[:size]):
            return name + label[size:]
    return name + label


def reason_prefix(decision: str | None) -> str:
    """What a decision's text is called: the grounds of a refusal are a 原因, an approval's
    remark is a 审核意见 (never 审核通过。原因：…)."""
    return "原因" if decision == "rejected" else "审核意见"


def mask_id(number: object) -> str:
    """An ID number for lists (issue 16 item 8): the first 6 and last 4 characters of an 18-digit
    身份证号 (150105********1234), stars between; short numbers keep 2 each side. The full
    number is shown only on the person's own page."""
    text = str(number or "").strip()
    if not text:
        return ""
    keep_head, keep_tail = (6, 4) if len(text) >= 12 else (min(2, len(text) // 3), min(2, len(text) // 3))
    hidden = len(text) - keep_head - keep_tail
    return text[:keep_head] + "*" * max(hidden, 1) + (text[-keep_tail:] if keep_tail else "")
