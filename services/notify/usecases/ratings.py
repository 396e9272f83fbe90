"""好差评: QR codes, the public rating form, ratings (a poor one opens a follow-up), statistics."""

from __future__ import annotations

from datetime import UTC, datetime

from services.common import audit
from services.common.contracts.ratings import RATING_MODES, RATING_REASONS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed, uuid_or_not_found
from services.notify import domain, rating_rules
from services.notify.models import Rating, RatingToken
from services.notify.repository import ProjectionRepository, RatingRepository
from services.notify.schemas import QrRequestSchema, RatingSchema, RatingTokenSchema
from services.notify.usecases._support import STAFF, Deps
from services.notify.writer import EffectWriter, new_token


def create_rating_token(deps: Deps, actor: dict, payload: dict) -> dict:
    """A reviewer desk prints a QR code: 一次一评 (this visit) or 一事一评 (one case)."""
    if actor.get("kind") not in STAFF:
        raise Forbidden("只有审核人员可以生成评价二维码")
    errors = QrRequestSchema().validate(payload)
    if errors:
        raise ValidationFailed.from_fields({k: [{"code": "invalid", "message": "内容不正确"}]
                                            for k in errors})
    data = QrRequestSchema().load(payload)
    if data["mode"] == "case" and not data.get("case_ref"):
        raise ValidationFailed.from_fields({"case_ref": [{"code": "required",
                                                          "message": "一事一评请填写办件编号"}]})
    with deps.begin() as uow:
        case = ProjectionRepository(uow.session).case(data["case_ref"]) if data.get("case_ref") else None
        desk = f"{actor.get('level')}:{actor.get('region_code')}" if actor.get("level") else None
        token = RatingToken(
            token=new_token(), mode=data["mode"], case_ref=data.get("case_ref"),
            business_type=data.get("business_type") or (case.case_type if case else None),
            title=case.title if case else None, reviewer_id=str(actor["id"]),
            reviewer_name=data.get("reviewer_name"), desk=desk,
            enterprise_id=None, created_by=str(actor["id"]))
        RatingRepository(uow.session).add_token(token)
        uow.session.flush()
        audit.record(uow.session, "notify.rating_qr_created", actor_id=actor["id"],
                     subject_id=token.case_ref, mode=token.mode)
        result = RatingTokenSchema().dump(token)
        uow.commit()
        return result


def rating_form(deps: Deps, token: str) -> dict:
    """What the public rating page shows for a link (no sign-in: a QR code is scanned by anyone)."""
    with deps.begin() as uow:
        row = RatingRepository(uow.session).token(str(token)[:64])
        if row is None:
            raise NotFound("评价链接无效或已过期")
        return {**RatingTokenSchema().dump(row), "mode_label": RATING_MODES[row.mode],
                "reasons": RATING_REASONS}


def submit_rating(deps: Deps, token: str, payload: dict, rater_account_id: str | None = None) -> dict:
    """One rating: 1-5 with reasons and comment, the rater's mobile; one per mobile per 5 days.
    A poor rating (≤ 2) opens a follow-up to-do for the admins."""
    errors = rating_rules.rating_errors(payload)
    if errors:
        raise ValidationFailed.from_fields(errors)
    mobile = str(payload["mobile"])
    now = datetime.now(UTC)
    with deps.begin() as uow:
        ratings = RatingRepository(uow.session)
        row = ratings.token(str(token)[:64])
        if row is None:
            raise NotFound("评价链接无效或已过期")
        ratings.lock_mobile(mobile)
        allowed_at = rating_rules.next_rating_allowed(ratings.last_rating_at(mobile))
        if allowed_at is not None and allowed_at > now:
            raise Conflict(rating_rules.rating_refused_message(allowed_at), code="rating_too_soon",
                           fields={"mobile": [{"code": "rating_too_soon",
                                               "message": rating_rules.rating_refused_message(allowed_at)}]})
        case = ProjectionRepository(uow.session).case(row.case_ref) if row.case_ref else None
        rating = Rating(
            token=row.token, mode=row.mode, case_ref=row.case_ref,
            business_type=row.business_type or (case.case_type if case else None),
            reviewer_id=row.reviewer_id or (case.decided_by if case else None),
            reviewer_name=row.reviewer_name, score=int(payload["score"]),
            reasons=list(payload.get("reasons") or []), comment=(payload.get("comment") or "").strip(),
            mobile=mobile, rater_account_id=rater_account_id,
            case_decided_at=case.decided_at if case else None, rated_at=now)
        ratings.add(rating)
        uow.session.flush()
        writer = EffectWriter(uow.session, deps.public_url)
        if row.case_ref:
            writer.mark_done(domain.Done(row.case_ref, ("rating",), "rated"))
        if rating_rules.is_poor(rating.score):
            subject = row.title or row.case_ref or RATING_MODES[row.mode]
            writer.add_todo(rating_rules.follow_up_todo(str(rating.id), rating.score, subject))
        audit.record(uow.session, "notify.rating_submitted", actor_id=rater_account_id,
                     subject_id=str(rating.id), score=rating.score, case_ref=row.case_ref)
        result = RatingSchema().dump(rating)
        uow.commit()
        return result


def rating_stats(deps: Deps, actor: dict) -> dict:
    if actor.get("kind") not in STAFF:
        raise Forbidden("只有审核人员可以查看评价统计")
    with deps.begin() as uow:
        ratings = RatingRepository(uow.session)
        recent = ratings.recent()
        groups = {key: ratings.grouped(key) for key in ("reviewer", "business_type", "month")}
        total = sum(count for _, _, count in groups["month"])
        average = (sum(avg * count for _, avg, count in groups["month"]) / total) if total else 0.0
        return {"total": total, "average": round(average, 2),
                **{f"by_{key}": [{"label": g, "average": round(a, 2), "count": c} for g, a, c in rows]
                   for key, rows in groups.items()},
                "recent": RatingSchema(many=True).dump(recent)}


def get_rating(deps: Deps, actor: dict, rating_id: str) -> dict:
    if actor.get("kind") not in STAFF:
        raise Forbidden("只有审核人员可以查看评价")
    key = uuid_or_not_found(rating_id, "评价不存在")
    with deps.begin() as uow:
        rating = RatingRepository(uow.session).get(key)
        if rating is None:
            raise NotFound("评价不存在")
        return RatingSchema().dump(rating)
