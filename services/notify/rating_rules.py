"""好差评 rules: one rating per mobile number per 5 days, what a poor rating is and the
follow-up it opens, the rating form's errors. Plain Python, unit-tested."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.common.contracts.ratings import POOR_RATING, RATING_REASONS
from services.notify.domain import Recipient, Todo

# =============================================================================================
# 好差评: ratings
# =============================================================================================
RATING_INTERVAL = timedelta(days=5)


def next_rating_allowed(last_rated_at: datetime | None) -> datetime | None:
    """When a mobile number may rate again, or None if it may rate now (given its last rating)."""
    if last_rated_at is None:
        return None
    return last_rated_at + RATING_INTERVAL


def rating_refused_message(allowed_at: datetime) -> str:
    from services.common.localtime import BEIJING

    moment = allowed_at.astimezone(BEIJING)
    return f"同一手机号5天内只能评价一次，请于 {moment:%Y-%m-%d %H:%M}（北京时间）后再评价。"


def is_poor(score: int) -> bool:
    return score <= POOR_RATING


def follow_up_todo(rating_id: str, score: int, subject: str) -> Todo:
    return Todo(Recipient.admins(), "follow_up", f"notify:rating:{rating_id}",
                f"差评回访：{subject}", f"收到 {score} 分的评价，请回访并处理。", f"/ratings/{rating_id}")


def rating_errors(payload: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Per-field errors of a rating form (score 1-5, known reasons, comment, a mobile)."""
    from services.common.errors import field_error
    from services.common.validators import is_mobile

    errors: dict[str, list[dict[str, str]]] = {}
    try:
        score = int(payload.get("score") or 0)
    except (TypeError, ValueError, OverflowError):
        score = 0
    if not 1 <= score <= 5:
        errors["score"] = [field_error("required", "请选择 1 到 5 分的评价")]
    reasons = payload.get("reasons") or []
    if not isinstance(reasons, list) or any(not isinstance(r, str) or r not in RATING_REASONS
                                            for r in reasons):
        errors["reasons"] = [field_error("invalid", "请选择列出的评价原因")]
    comment = payload.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 500:
        errors["comment"] = [field_error("too_long", "评价内容不能超过500字")]
    elif score and score <= POOR_RATING and not comment.strip() and not reasons:
        errors["comment"] = [field_error("required", "差评请选择原因或填写具体意见，便于我们改进")]
    if not is_mobile(str(payload.get("mobile") or "")):
        errors["mobile"] = [field_error("invalid", "请输入11位大陆手机号码")]
    return errors
