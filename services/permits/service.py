"""permits' nameko entrypoints: applications through their lifecycle, batches, licences, 容缺 credit.

Every RPC that acts for a user takes the actor dict first (docs/contracts.md) and re-checks it:
enterprise main accounts and sub-accounts with the ``permits`` module act for their enterprise
(read-only sub-accounts only read); reviewers and admins read. The pure rules live in
catalogue.py, precheck.py, lifecycle.py and licences.py; adapters.py bridges the gaps.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.common import audit, jurisdiction
from services.common.access import (
    REGISTRATION_NOT_APPROVED,
    awaiting_approval,
    enterprise_of,
    may_use,
    module_refusal,
    registration_refusal,
)
from services.common.attachments import attachment_view, check_upload, metadata, store_upload
from services.common.base import PlatformService, service_rpc
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.events import reliable_event_handler
from services.common.renderpool import Renderers
from services.common.rpc import PlatformRpcProxy
from services.common.schema_errors import load_or_fail
from services.common.storage import ObjectStore
from services.common.wording import joined
from services.permits import (
    adapters,
    certificate_actions,
    credit,
    lane_access,
    licences,
    lifecycle,
    prefill,
    recheck,
    risk,
    transactions,
)
from services.permits.catalogue import LANES, TRANSACTION_KINDS, Catalogue, load_catalogue
from services.permits.events import (
    APPLICATION_DECIDED,
    APPLICATION_STATE_CHANGED,
    APPLICATION_SUBMITTED,
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_REF_PREFIX,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
    KEY_PERSON_CHANGED,
    LICENCE_AT_RISK,
    LICENCE_ISSUED,
    LICENCE_STATUS_CHANGED,
    RECORDS_CHANGED,
    REVIEW_REQUESTED,
    REVIEW_WITHDRAWN,
)
from services.permits.models import Application, Attachment, Batch, CreditDefault, Licence, OwedMaterial
from services.permits.precheck import evaluate_selection
from services.permits.repository import (
    ApplicationRepository,
    BatchRepository,
    CreditRepository,
    LicenceRepository,
    two_years_before,
)
from services.permits.schemas import (
    CorrectionValuesSchema,
    CreateDraftSchema,
    CreditSchema,
    UpdateDraftSchema,
)

log = logging.getLogger(__name__)

NOT_FOUND = "申请不存在"
LICENCE_NOT_FOUND = "证书不存在"
BATCH_NOT_FOUND = "申报批次不存在"
STALE = "该申请已被他人修改（或在另一窗口中已办理），请刷新页面后重试。"
OWED_DAYS = 30  # 容缺: owed materials are due this many days after submission (PFL: plausible)
DEFAULT_REGION = "150000"


def _flush(uow: Any) -> None:
    """Write pending changes now; an application whose version moved on meanwhile is a Conflict."""
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise Conflict(STALE, code="stale_version") from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class PermitsService(PlatformService):
    name = "permits"

    enterprise = PlatformRpcProxy("enterprise")
    renderers = Renderers(*adapters.RENDER_JOBS, preload=adapters.RENDER_PRELOAD)
    review = PlatformRpcProxy("review")  # may_read_case: who reads a case's files

    # ---- configuration ------------------------------------------------------------------
    @cached_property
    def catalogue(self) -> Catalogue:
        return _catalogue()

    def _settings(self) -> dict[str, Any]:
        return dict(self.config["PLATFORM"].get("permits") or {})

    def _commitment_seconds(self) -> float:
        return float(self._settings().get("commitment_seconds", lifecycle.COMMITMENT_SECONDS))

    def _public_url(self) -> str:
        return str(self.config["PLATFORM"]["gateway"]["public_url"]).rstrip("/")

    # ---- access ---------------------------------------------------------------------------
    def _enterprise_for(self, actor: dict, write: bool) -> uuid.UUID:
        """The enterprise an enterprise-side actor acts for, if it may use permits."""
        kind = (actor or {}).get("kind")
        if kind not in ("enterprise", "sub"):
            raise Forbidden("只有企业账号可以办理资质许可")
        if awaiting_approval(actor):  # registration review has not approved the account yet
            self.audit_alone("permits.access_refused", actor, actor.get("id"),
                             reason=REGISTRATION_NOT_APPROVED)
            raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
        if not may_use(kind, list(actor.get("permissions") or []), "permits", write):
            self.audit_alone("permits.access_refused", actor, actor.get("id"), write=write)
            raise Forbidden(module_refusal("permits", write))
        return uuid_or_not_found(enterprise_of(actor), "企业不存在")

    def _may_read(self, actor: dict, enterprise_id: uuid.UUID, case_ref: str | None) -> bool:
        """The same rule as the case (docs/contracts.md, "Case documents"): the enterprise
        (with the 资质许可 module), admins, and reviewers whose desk holds a step of the
        application's review case, which review answers (its chains are the authority: this
        catalogue's ``levels`` are what is sent, review resolves the chain). No case yet: owner only."""
        kind = (actor or {}).get("kind")
        if kind == "admin":
            return True
        if kind == "reviewer":
            return bool(case_ref) and bool(self.review.may_read_case(actor, case_ref)["allowed"])
        if kind in ("enterprise", "sub"):
            return may_use(kind, list(actor.get("permissions") or []), "permits", False) and str(
                enterprise_of(actor)
            ) == str(enterprise_id)
        return False

    def _require_staff(self, actor: dict, admin: bool = False) -> None:
        kinds = ("admin",) if admin else ("reviewer", "admin")
        if (actor or {}).get("kind") not in kinds:
            raise Forbidden("只有管理员可以执行该操作" if admin else "只有审核人员或管理员可以查看")

    def _load(
        self,
        uow: Any,
        actor: dict,
        application_id: object,
        *,
        write: bool,
        version: int | None = None,
        lock: bool = False,
    ) -> Application:
        aid = uuid_or_not_found(application_id, NOT_FOUND)
        # A write locks the row: it sees the background re-check's state, which never bumps the
        # version (services/permits/recheck.py), and the re-check waits for it.
        app = ApplicationRepository(uow.session).get(aid, for_update=lock or write)
        if app is None:
            raise NotFound(NOT_FOUND)
        if write:
            eid = self._enterprise_for(actor, write=True)
            if app.enterprise_id != eid:
                self.audit_alone("permits.access_refused", actor, aid, reason="other_enterprise")
                raise NotFound(NOT_FOUND)
        elif not self._may_read(actor, app.enterprise_id, app.case_ref):
            self.audit_alone("permits.access_refused", actor, aid, reason="read")
            raise NotFound(NOT_FOUND)
        if version is not None and int(version) != app.version:
            raise Conflict(STALE, code="stale_version")
        return app

    @staticmethod
    def _commit(uow: Any) -> None:
        """Commit; a concurrent change of the same application (version moved on) is a Conflict."""
        try:
            uow.commit()
        except StaleDataError as exc:
            raise Conflict(STALE, code="stale_version") from exc

    def _move(
        self,
        uow: Any,
        app: Application,
        action: str,
        actor: dict | None,
        context: dict | None = None,
        note: str | None = None,
        **detail: object,
    ) -> str:
        old = app.state
        new = lifecycle.transition(old, action, context or {})
        app.state = new
        app.updated_at = _now()
        ApplicationRepository(uow.session).add_history(app, action, old, new, actor, note, **detail)
        _flush(uow)  # bumps the version (optimistic lock), StaleDataError if moved on
        uow.add_event(
            APPLICATION_STATE_CHANGED,
            {
                "application_id": app.id,
                "enterprise_id": app.enterprise_id,
                "action": action,
                "from_state": old,
                "to_state": new,
                "version": app.version,
                "at": _now(),
            },
        )
        audit.record(
            uow.session,
            f"permits.application.{action}",
            actor_id=(actor or {}).get("id"),
            subject_id=str(app.id),
            old=old,
            new=new,
        )
        return new

    # ---- catalogue ------------------------------------------------------------------------
    @service_rpc
    def catalogue_types(self, actor: dict) -> list[dict]:
        return [self._type_view(bt, detail=False) for bt in self.catalogue.types.values()]

    @service_rpc
    def catalogue_type(self, actor: dict, type_code: str) -> dict:
        try:
            bt = self.catalogue.type(type_code)
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
        return self._type_view(bt, detail=True)

    @staticmethod
    def _type_view(bt: Any, detail: bool) -> dict:
        view: dict[str, Any] = {
            "code": bt.code,
            "name": bt.name,
            "kind": bt.kind,
            "system": bt.system,
            "authority": bt.authority,
            "multi_category": bt.multi_category,
            "lanes": [{"code": lane, "label": LANES[lane]} for lane in bt.lanes],
            "natures": [{"code": k, "label": v} for k, v in (bt.natures or {}).items()],
            "submitters": [{"code": k, "label": v} for k, v in (bt.submitters or {}).items()],
            "transactions": [
                {
                    "code": k,
                    "label": t["label"],
                    "needs_precheck": t["needs_precheck"],
                    "lanes": bt.lanes_for(k),
                    "case_type": t["review"]["case_type"],
                    "levels": list(t["review"]["levels"]),
                    "time_limit_days": dict(t["time_limit_days"]),
                }
                for k, t in bt.transactions.items()
            ],
            "categories": [
                {
                    "code": c.code,
                    "name": c.name,
                    "graded": c.graded,
                    "grades": [{"code": g.code, "scope": g.scope} for g in c.grades.values()],
                }
                for c in bt.categories.values()
            ],
        }
        if detail:
            view["attachments"] = [dict(a) for a in bt.attachments]
            view["standards"] = {
                f"{c.code}.{g.code}": [dict(s) for s in g.standards]
                for c in bt.categories.values()
                for g in c.grades.values()
            }
        return view

    # ---- drafts ---------------------------------------------------------------------------
    @service_rpc
    def create_draft(self, actor: dict, payload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        data = load_or_fail(CreateDraftSchema(), payload)
        bt = self._check_selection(data)
        key = data.get("request_key")
        try:
            with self.db.unit_of_work() as uow:
                repo = ApplicationRepository(uow.session)
                if key and (existing := repo.by_request_key(key)) is not None:
                    if existing.enterprise_id != eid:
                        raise Conflict("该请求编号已被使用", code="key_reused")
                    return self._view(uow, existing, actor)
                records = self._records(eid)
                original = None
                if data.get("original_licence_id"):
                    original = LicenceRepository(uow.session).get(
                        uuid_or_not_found(data["original_licence_id"], LICENCE_NOT_FOUND)
                    )
                    if original is None or original.enterprise_id != eid:
                        raise NotFound(LICENCE_NOT_FOUND)
                today = adapters.today_in_beijing(_now())
                held = original or LicenceRepository(uow.session).live_of(eid, bt.code)
                transactions.check_eligibility(
                    data["transaction_kind"],
                    _domain_licence(held) if held else None,
                    today,
                    business_type=bt,
                    selections=[(i["category"], i["grade"]) for i in data["items"]],
                    lane=data["lane"],
                    nature=data.get("nature"),
                    submitter=data.get("submitter"),
                ).require()
                lane_access.require(bt, data["transaction_kind"], data["lane"],
                                    lane_access.credit_record(uow.session, eid, today), today)
                app = Application(
                    number=repo.next_number(today),
                    enterprise_id=eid,
                    enterprise_name=records.get("name") or "",
                    enterprise_uscc=records.get("uscc") or "",
                    region_code=records.get("region_code") or DEFAULT_REGION,
                    type_code=bt.code,
                    transaction_kind=data["transaction_kind"],
                    items=[{"category": i["category"], "grade": i["grade"]} for i in data["items"]],
                    lane=data["lane"],
                    nature=data.get("nature"),
                    submitter=data.get("submitter"),
                    original_licence_id=original.id if original else None,
                    values=prefill.prefilled(bt, data["transaction_kind"], data["values"] or {}, records),
                    state="draft",
                    request_key=key,
                    owed_standards=[],
                    revision=0,
                    correction_items=[],
                    created_by=actor.get("id"),
                )
                if data.get("batch_id"):
                    batch = self._batch(uow, actor, data["batch_id"], write=True)
                    app.batch_id = batch.id
                repo.add(app)
                repo.add_history(app, "create", None, "draft", actor, "创建申请草稿")
                audit.record(
                    uow.session,
                    "permits.application.create",
                    actor_id=actor.get("id"),
                    subject_id=str(app.id),
                    type_code=bt.code,
                    kind=app.transaction_kind,
                )
                self._apply_precheck(uow, app, records, actor, initial=True)
                uow.commit()
                return self._view(uow, app, actor)
        except IntegrityError:
            if key:
                with self.db.unit_of_work() as uow:
                    existing = ApplicationRepository(uow.session).by_request_key(key)
                    if existing is not None and existing.enterprise_id == eid:
                        return self._view(uow, existing, actor)
            raise Conflict("申请同时被提交了两次，请刷新后查看") from None

    def _check_selection(self, data: dict) -> Any:
        errors: dict[str, list[dict[str, str]]] = {}
        try:
            bt = self.catalogue.type(data["type_code"])
        except KeyError as exc:
            raise ValidationFailed.from_fields(
                {"type_code": [field_error("unknown", str(exc.args[0]))]}
            ) from None
        kind = data["transaction_kind"]
        if kind not in bt.transactions:
            errors["transaction_kind"] = [
                field_error("unknown", f"{bt.name}不办理“{TRANSACTION_KINDS.get(kind, kind)}”")
            ]
        elif data["lane"] not in bt.lanes_for(kind):
            errors["lane"] = [
                field_error("unknown", f"该业务不提供“{LANES.get(data['lane'], data['lane'])}”通道")
            ]
        if len(data["items"]) > 1 and not bt.multi_category:
            errors["items"] = [field_error("single", f"{bt.name}一次只能申请一个类别")]
        seen = set()
        for item in data["items"]:
            try:
                bt.category(item["category"]).grade(item["grade"])
            except KeyError as exc:
                errors["items"] = [field_error("unknown", str(exc.args[0]))]
            if item["category"] in seen:
                errors["items"] = [field_error("duplicate", "同一类别只能选择一个等级")]
            seen.add(item["category"])
        if bt.natures and data.get("nature") not in bt.natures:
            errors["nature"] = [field_error("required", "请选择申请性质")]
        if bt.submitters and data.get("submitter") not in bt.submitters:
            errors["submitter"] = [field_error("required", "请选择申请人类型（法定代表人或受托人）")]
        if errors:
            raise ValidationFailed.from_fields(errors)
        return bt

    @service_rpc
    def update_draft(self, actor: dict, application_id: str, payload: dict) -> dict:
        data = load_or_fail(UpdateDraftSchema(), payload)
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=data["version"])
            if app.state not in lifecycle.DRAFT_STATES:
                raise InvalidTransition("已提交的申请不能修改；补正时只能修改审核人员指出的事项。")
            bt = self.catalogue.type(app.type_code)
            if data.get("values") is not None:
                app.values = {**(app.values or {}), **{k: v for k, v in data["values"].items()}}
            if data.get("lane"):
                if data["lane"] not in bt.lanes_for(app.transaction_kind):
                    raise ValidationFailed.from_fields(
                        {"lane": [field_error("unknown", "该业务不提供该通道")]}
                    )
                today = adapters.today_in_beijing(_now())
                lane_access.require(bt, app.transaction_kind, data["lane"],
                                    lane_access.credit_record(uow.session, app.enterprise_id, today), today)
                app.lane = data["lane"]
            if data.get("owed_standards") is not None:
                if app.lane != "fast_track" and data["owed_standards"]:
                    raise InvalidTransition("只有容缺受理通道的申请可以容缺后补")
                app.owed_standards = list(data["owed_standards"])
            app.updated_at = _now()
            ApplicationRepository(uow.session).add_history(
                app, "update", app.state, app.state, actor, "修改申请信息"
            )
            _flush(uow)
            self._commit(uow)
            return self._view(uow, app, actor)

    # ---- pre-check --------------------------------------------------------------------------
    def _records(self, enterprise_id: uuid.UUID) -> dict:
        return self.enterprise.records_for_precheck(None, str(enterprise_id))

    def _evaluate(self, app: Application, records: dict) -> dict:
        bt = self.catalogue.type(app.type_code)
        today = adapters.today_in_beijing(_now())
        if not bt.transaction(app.transaction_kind)["needs_precheck"]:
            return {
                "passed": True,
                "accepted_with_owed": False,
                "summary": "该业务无需资质标准预审",
                "evaluated_on": today.isoformat(),
                "records_version": records.get("records_version"),
                "items": [],
            }
        result = evaluate_selection(
            bt,
            [(i["category"], i["grade"]) for i in app.items],
            records,
            today=today,
            owed=app.owed_standards or [],
        )
        return result.to_dict()

    def _apply_precheck(
        self, uow: Any, app: Application, records: dict, actor: dict | None, initial: bool = False
    ) -> None:
        result = self._evaluate(app, records)
        app.precheck = result
        app.precheck_records_version = records.get("records_version")
        app.prechecked_at = _now()
        if initial:
            return
        self._move(
            uow, app, "run_precheck", actor, {"precheck_passed": result["passed"]}, note=result["summary"]
        )

    @service_rpc
    def run_precheck(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            if app.state not in ("draft", "prechecked"):
                lifecycle.transition(app.state, "run_precheck", {})  # raises with the rule
            self._apply_precheck(uow, app, self._records(app.enterprise_id), actor)
            self._commit(uow)
            return self._view(uow, app, actor)

    @reliable_event_handler("enterprise", "records_changed")
    def on_records_changed(self, body: dict) -> None:
        """Re-check the enterprise's draft-phase applications and valid licences against its
        fresh records, without ever bumping an application's version (services/permits/
        recheck.py argues it): queued per enterprise, coalesced, monotonic by records version."""
        envelope = RECORDS_CHANGED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "permits.on_records_changed"):
                return
            self._recheck_enterprise(uow, data["enterprise_id"], "records_changed",
                                     event_version=data.get("records_version"))
            uow.commit()

    @reliable_event_handler("personnel", "key_person_changed")
    def on_key_person_changed(self, body: dict) -> None:
        """A key person's certificate lapsed, was cancelled or moved away (personnel): re-check
        the enterprise's valid licences against fresh records and flag those now at risk."""
        envelope = KEY_PERSON_CHANGED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "permits.on_key_person_changed"):
                return
            self._recheck_enterprise(uow, data["enterprise_id"], "key_person_changed",
                                     change=data["change"], applications=False)
            uow.commit()

    def _recheck_enterprise(self, uow: Any, enterprise_id: object, cause: str, *,
                            event_version: int | None = None, change: str | None = None,
                            applications: bool = True) -> None:
        """One re-check of an enterprise: its re-check row is locked first (re-checks of one
        enterprise queue up there, and users never wait on the records RPC), a records change
        already covered by an earlier re-check is skipped, then the licences and applications
        are locked and written (applications through recheck.plan, never their version)."""
        eid = uuid_or_not_found(enterprise_id, "企业不存在")
        apps_repo = ApplicationRepository(uow.session)
        licence_repo = LicenceRepository(uow.session)
        if not licence_repo.valid_of(eid, lock=False) and not (
                applications and apps_repo.of_enterprise(eid, lifecycle.DRAFT_STATES, limit=1)):
            return  # nothing of this enterprise's to re-check: no records RPC, no marker row
        marker = apps_repo.lock_recheck(eid)
        if recheck.event_covered(marker.records_version, event_version):
            log.debug("records_changed %s of %s already covered by a re-check on %s",
                      event_version, eid, marker.records_version)
            return
        records = self._records(eid)
        fresh = records.get("records_version")
        valid = licence_repo.valid_of(eid)
        if valid:
            self._recheck_licences(uow, valid, records, cause, change)
        if not applications:  # licences only: the marker speaks for applications too
            return
        for app in apps_repo.of_enterprise(eid, lifecycle.DRAFT_STATES, lock=True):
            self._recheck_application(uow, app, records)
        if fresh is not None and fresh > (marker.records_version or 0):
            marker.records_version = fresh
        marker.rechecked_at = _now()

    def _recheck_application(self, uow: Any, app: Application, records: dict) -> None:
        """Store the pre-check on newer records and move the application back when
        lifecycle.after_records_changed says so; history, event and audit as before."""
        now = _now()
        write = recheck.plan(app.state, app.precheck_records_version, records.get("records_version"),
                             self._evaluate(app, records), now)
        if write is None:
            return
        repo = ApplicationRepository(uow.session)
        repo.write_recheck(app, write.columns)
        if not write.moved:
            return
        summary = write.columns["precheck"].get("summary") or ""
        repo.add_history(app, "records_changed", write.from_state, write.to_state, None,
                         f"企业信息已变更，重新预审：{summary}")
        uow.add_event(APPLICATION_STATE_CHANGED, {
            "application_id": app.id, "enterprise_id": app.enterprise_id, "action": "records_changed",
            "from_state": write.from_state, "to_state": write.to_state, "version": app.version,
            "at": now})
        audit.record(uow.session, "permits.application.records_changed", subject_id=str(app.id),
                     old=write.from_state, new=write.to_state)

    def _recheck_licences(self, uow: Any, valid: list[Licence], records: dict, cause: str,
                          change: str | None = None) -> None:
        """Set (or clear) ``at_risk`` of each licence whose outcome changed; one
        licence_at_risk event per change, none when the outcome is what is stored."""
        today = adapters.today_in_beijing(_now())
        for lic in valid:
            outcome = risk.licence_risk(self.catalogue.type(lic.type_code), lic.items or [],
                                        records, today)
            if not risk.changed(lic.at_risk, outcome):
                continue
            old, lic.at_risk = lic.at_risk, outcome.reason
            uow.add_event(LICENCE_AT_RISK, {
                "licence_id": lic.id, "enterprise_id": lic.enterprise_id, "number": lic.number,
                "type_code": lic.type_code, "at_risk": outcome.at_risk, "reason": outcome.reason,
                "unmet": list(outcome.unmet), "cause": cause, "change": change, "at": _now()})
            audit.record(uow.session, "permits.licence.at_risk" if outcome.at_risk
                         else "permits.licence.at_risk_cleared", subject_id=str(lic.id),
                         cause=cause, change=change, old=old, new=outcome.reason)
            log.info("licence %s %s after %s", lic.number,
                     "at risk" if outcome.at_risk else "no longer at risk", cause)

    # ---- 申报表 and signed scan ------------------------------------------------------------
    @service_rpc
    def generate_form(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            lifecycle.transition(app.state, "generate_form", {})  # refuse early, before rendering
            records = self._records(app.enterprise_id)
            if records.get("records_version") != app.precheck_records_version:
                self._apply_precheck(uow, app, records, actor)
                if app.state != "prechecked":
                    self._commit(uow)
                    raise InvalidTransition(
                        "企业信息已变更，重新预审未通过，请按预审结果完善后再生成申报表。"
                    )
            bt = self.catalogue.type(app.type_code)
            app_dict = dict(self._app_dict(uow, app), precheck_summary=(app.precheck or {}).get("summary"))
            context = adapters.form_context(
                bt, app_dict, records, adapters.today_in_beijing(_now()), self._attachment_list(uow, app)
            )
            checked = self.renderers.run(adapters.FORM_JOB, context, f"{bt.form['title']}-{app.number}.pdf")
            row = self._keep(uow, app, "form", bt.form["title"], checked, actor)
            app.form_attachment_id = row.id
            self._move(uow, app, "generate_form", actor, note="生成申报表")
            self._commit(uow)
            return self._view(uow, app, actor)

    def _attachment_list(self, uow: Any, app: Application) -> list[dict[str, Any]]:
        """The 申报表's list of materials: uploaded, owed under 容缺, or still missing."""
        missing, owable = self._missing_materials(uow, app)
        absent = {m["code"] for m in missing + owable}
        owed_until = (adapters.today_in_beijing(_now()) + timedelta(days=OWED_DAYS)).isoformat()
        bt = self.catalogue.type(app.type_code)
        specs = bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter)
        return [
            {
                "name": spec["name"],
                "provided": spec["code"] not in absent,
                "owed_until": owed_until if spec["code"] in {o["code"] for o in owable} else None,
            }
            for spec in specs
        ]

    def _keep(
        self, uow: Any, app: Application, purpose: str, label: str, checked: Any, actor: dict | None
    ) -> Attachment:
        store = ObjectStore(self.config["PLATFORM"])
        key = store_upload(store, f"permits/{purpose}", checked)
        repo = ApplicationRepository(uow.session)
        repo.supersede(app.id, purpose, _now())
        row = Attachment(
            application_id=app.id,
            enterprise_id=app.enterprise_id,
            purpose=purpose,
            label=label,
            uploaded_by=(actor or {}).get("id"),
            **metadata(checked, key),
        )
        try:
            repo.add_attachment(row)
        except Exception:
            store.delete(key)
            raise
        return row

    @service_rpc
    def upload_signed_scan(
        self, actor: dict, application_id: str, upload: dict, version: int | None = None
    ) -> dict:
        checked = check_upload(upload, "signed_scan")
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            lifecycle.transition(app.state, "upload_signed", {})
            form = (
                ApplicationRepository(uow.session).attachment(app.form_attachment_id)
                if app.form_attachment_id
                else None
            )
            if form is not None and checked.sha256 == form.sha256:
                raise ValidationFailed(
                    "上传的是系统生成的空白申报表，请上传签字盖章后的扫描件。",
                    {"signed_scan": [field_error("unsigned", "上传的是系统生成的申报表原件，未签字盖章")]},
                )
            pages = (checked.report or {}).get("pages")
            if (
                form is not None
                and pages
                and (form.report or {}).get("pages")
                and pages < int(form.report["pages"])
            ):
                raise ValidationFailed(
                    "扫描件页数少于申报表页数，请上传完整的签章申报表。",
                    {"signed_scan": [field_error("pages", "扫描件页数不完整")]},
                )
            row = self._keep(uow, app, "signed_scan", "签章申报表扫描件", checked, actor)
            app.signed_scan_id = row.id
            self._move(uow, app, "upload_signed", actor, note=f"上传签章申报表 {row.filename}")
            self._commit(uow)
            return self._view(uow, app, actor)

    @service_rpc
    def upload_material(self, actor: dict, application_id: str, code: str, upload: dict) -> dict:
        """A required attachment of the catalogue (营业执照, 业绩证明 …); also owed materials and
        corrected attachments."""
        checked = check_upload(upload, code or "material")
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True)
            bt = self.catalogue.type(app.type_code)
            spec = next((a for a in bt.attachments if a["code"] == code), None)
            if spec is None:
                raise ValidationFailed.from_fields({"code": [field_error("unknown", "没有该附件类型")]})
            owed = [
                o
                for o in ApplicationRepository(uow.session).owed_of(app.id)
                if o.code == code and o.fulfilled_at is None
            ]
            corrected = any(
                i["target"] == "attachment" and code in (i["name"], i.get("code"))
                for i in app.correction_items or []
            )
            if (
                app.state not in lifecycle.DRAFT_STATES
                and not owed
                and not (app.state == "correction_requested" and corrected)
            ):
                raise InvalidTransition("已提交的申请只能补交容缺材料或补正审核人员指出的附件。")
            if app.state in ("previewed", "committed"):
                raise InvalidTransition("已预览确认的材料不能再修改；如需修改请废弃后重新申请。")
            row = self._keep(uow, app, code, spec["name"], checked, actor)
            for item in owed:
                item.fulfilled_at = _now()
            ApplicationRepository(uow.session).add_history(
                app,
                "upload_material",
                app.state,
                app.state,
                actor,
                f"上传{spec['name']}",
                attachment_id=str(row.id),
            )
            app.updated_at = _now()
            _flush(uow)
            self._commit(uow)
            return self._view(uow, app, actor)

    # ---- preview, commitment letter, submit ----------------------------------------------------
    def _missing_materials(self, uow: Any, app: Application) -> tuple[list[dict], list[dict]]:
        """(missing and blocking, missing but owable under 容缺)."""
        bt = self.catalogue.type(app.type_code)
        have = {a.purpose for a in ApplicationRepository(uow.session).attachments_of(app.id)}
        missing, owable = [], []
        for spec in bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter):
            if not spec.get("required", True) or spec["code"] in have:
                continue
            if app.lane == "fast_track" and spec.get("owable"):
                owable.append(spec)
            else:
                missing.append(spec)
        return missing, owable

    @service_rpc
    def preview(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            lifecycle.transition(app.state, "preview", {})
            missing, _ = self._missing_materials(uow, app)
            if missing:
                raise InvalidTransition(
                    "以下申请材料尚未上传：" + "、".join(m["name"] for m in missing) + "。",
                    code="materials_missing",
                )
            app.previewed_at = _now()
            self._move(uow, app, "preview", actor, note="预览全部申请材料")
            self._commit(uow)
            return self._view(uow, app, actor)

    @service_rpc
    def open_commitment(self, actor: dict, application_id: str) -> dict:
        """The commitment letter (承诺书) was opened; the confirm waits the configured seconds from now."""
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True)
            if app.state != "previewed":
                lifecycle.transition(app.state, "confirm_commitment", {})  # raises with the rule
            app.commitment_opened_at = _now()
            ApplicationRepository(uow.session).add_history(
                app, "open_commitment", app.state, app.state, actor, "打开承诺书"
            )
            _flush(uow)
            self._commit(uow)
            view = self._view(uow, app, actor)
            return view

    @service_rpc
    def confirm_commitment(self, actor: dict, application_id: str, version: int | None = None) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            if app.state != "previewed":
                lifecycle.transition(app.state, "confirm_commitment", {})
            # The configured window (permits.commitment_seconds) is lifecycle's guard.
            context = {"opened_at": app.commitment_opened_at, "now": _now(),
                       "commitment_seconds": self._commitment_seconds()}
            app.committed_at = _now()
            self._move(uow, app, "confirm_commitment", actor, context, note="确认承诺书")
            self._commit(uow)
            return self._view(uow, app, actor)

    @service_rpc
    def submit(
        self, actor: dict, application_id: str, idempotency_key: str | None = None, version: int | None = None
    ) -> dict:
        """Submit to review. The same key again returns the same application, unchanged.

        The row lock comes first and the key is checked under it: concurrent submits with one
        key queue on the lock, and each one after the first finds the key stored and answers
        the application as submitted (not ``invalid_transition``, issue 13)."""
        key = (idempotency_key or "").strip()[:64] or None
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, lock=True)
            if key:
                existing = ApplicationRepository(uow.session).by_submit_key(key)
                if existing is not None:
                    if existing.id != app.id:
                        raise Conflict("该提交编号已用于另一份申请", code="key_reused")
                    return self._view(uow, existing, actor)
            if version is not None and int(version) != app.version:
                raise Conflict(STALE, code="stale_version")
            if app.state != "committed":
                lifecycle.transition(app.state, "submit", {"precheck_passed": True})
            records = self._records(app.enterprise_id)
            if records.get("records_version") != app.precheck_records_version:
                result = self._evaluate(app, records)
                app.precheck, app.precheck_records_version = result, records.get("records_version")
                app.prechecked_at = _now()
            passed = bool((app.precheck or {}).get("passed"))
            today = adapters.today_in_beijing(_now())
            lane_access.require(self.catalogue.type(app.type_code), app.transaction_kind, app.lane,
                                lane_access.credit_record(uow.session, app.enterprise_id, today), today)
            app.submit_key = key
            app.submitted_at = _now()
            app.revision = 1
            app.case_ref = f"{CASE_REF_PREFIX}{app.id}"
            self._move(uow, app, "submit", actor, {"precheck_passed": passed}, note="提交申请")
            self._owe(uow, app)
            self._request_review(uow, app, records)
            try:
                self._commit(uow)
            except IntegrityError:
                uow.session.rollback()
                raise Conflict("该申请已提交", code="already_submitted") from None
            return self._view(uow, app, actor)

    def _eligibility(self, uow: Any, enterprise_id: uuid.UUID) -> tuple[bool, str]:
        """容缺受理 through credit.py's rule, fed from the local credit register (the CreditProvider)."""
        register = CreditRepository(uow.session)
        row = register.get(enterprise_id)
        today = adapters.today_in_beijing(_now())
        defaults = tuple(
            credit.OwedDefault(str(d.application_id), d.what, d.what, d.deadline)
            for d in register.defaults_since(enterprise_id, two_years_before(today))
        )
        record = credit.CreditRecord(
            str(enterprise_id), rating=row.rating if row else "unknown", defaults=defaults
        )
        result = credit.fast_track_eligibility(record, today)
        return result.ok, "；".join(
            result.reasons
        ) or f"信用情况{credit.RATINGS[record.rating]}，近两年无容缺失信记录"

    def _owe(self, uow: Any, app: Application) -> None:
        if app.lane != "fast_track":
            return
        _, owable = self._missing_materials(uow, app)
        deadline = adapters.today_in_beijing(_now()) + timedelta(days=OWED_DAYS)
        repo = ApplicationRepository(uow.session)
        for spec in owable:
            repo.add_owed(
                OwedMaterial(
                    application_id=app.id,
                    enterprise_id=app.enterprise_id,
                    code=spec["code"],
                    name=spec["name"],
                    deadline=deadline,
                )
            )
        precheck = app.precheck or {}
        for item in precheck.get("items") or []:
            if item.get("status") == "owed":
                repo.add_owed(
                    OwedMaterial(
                        application_id=app.id,
                        enterprise_id=app.enterprise_id,
                        code=f"standard:{item['key']}",
                        name=item["label"],
                        deadline=deadline,
                    )
                )

    def _request_review(self, uow: Any, app: Application, records: dict) -> None:
        bt = self.catalogue.type(app.type_code)
        chain = bt.review_chain(app.transaction_kind)
        app_dict = self._app_dict(uow, app)
        attachments = [
            {"id": str(a.id), "label": a.label or a.purpose, "filename": a.filename, "sha256": a.sha256}
            for a in ApplicationRepository(uow.session).attachments_of(app.id)
        ]
        kind_label = bt.transaction(app.transaction_kind)["label"]
        title = (
            f"{app.enterprise_name or records.get('name') or ''} {joined(bt.name, kind_label)}"
            f"（{adapters.selection_text(bt, app.items)}）"
        )
        data = {
            "case_ref": app.case_ref,
            "case_type": chain["case_type"],
            "lane": app.lane,
            "enterprise_id": str(app.enterprise_id),
            "enterprise_name": app.enterprise_name
            or records.get("name")
            or str(app.enterprise_uscc)
            or "未命名企业",
            "region_code": app.region_code or DEFAULT_REGION,
            "title": title.strip()[:300],
            "revision": app.revision,
            # The catalogue (admin-editable) is the one source of statutory limits per lane.
            "time_limit_days": _time_limit(bt.transaction(app.transaction_kind), app.lane),
            "fields": adapters.form_fields(bt, app_dict, records),
            "attachments": attachments,
            "submitted_at": app.submitted_at or _now(),
            "owed": lane_access.owed_for_review(ApplicationRepository(uow.session).owed_of(app.id)),
        }
        uow.add_event(REVIEW_REQUESTED, data)
        uow.add_event(
            APPLICATION_SUBMITTED,
            {
                "application_id": app.id,
                "enterprise_id": app.enterprise_id,
                "number": app.number,
                "type_code": app.type_code,
                "transaction_kind": app.transaction_kind,
                "lane": app.lane,
                "case_ref": app.case_ref,
                "revision": app.revision,
                "submitted_at": app.submitted_at or _now(),
            },
        )

    @service_rpc
    def update_correction(
        self, actor: dict, application_id: str, values: dict, version: int | None = None
    ) -> dict:
        """补正: change only the fields review named (values.<name> of the 申报表)."""
        values = load_or_fail(CorrectionValuesSchema(), {"values": values})["values"]
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, version=version)
            if app.state != "correction_requested":
                raise InvalidTransition("只有待补正的申请可以修改补正事项。")
            named = [i["name"] for i in app.correction_items or [] if i["target"] == "field"]
            inputs = adapters.correction_inputs(self.catalogue.type(app.type_code), app.transaction_kind,
                                                named)
            # Accept review's name (enterprise.legal_representative), the value key
            # (legal_representative) or its source (values.legal_representative).
            accepted = {alias: spec["key"] for name, spec in inputs.items()
                        for alias in (name, spec["key"], f"values.{spec['key']}")}
            refused = [k for k in values if k not in accepted]
            if refused:
                raise ValidationFailed(
                    "只能修改审核人员要求补正的事项。",
                    {k: [field_error("not_reopened", "该项未要求补正，不能修改")] for k in refused},
                )
            values = {accepted[k]: v for k, v in values.items()}
            app.values = {**(app.values or {}), **values}
            ApplicationRepository(uow.session).add_history(
                app, "correct", app.state, app.state, actor, "修改补正事项：" + "、".join(values)
            )
            _flush(uow)
            self._commit(uow)
            return self._view(uow, app, actor)

    @service_rpc
    def resubmit(
        self, actor: dict, application_id: str, idempotency_key: str | None = None, version: int | None = None
    ) -> dict:
        """补正后重新提交. The key (kept in the history row) is checked under the row lock: a
        duplicate with the same key answers the application as resubmitted (issue 13)."""
        key = (idempotency_key or "").strip()[:64] or None
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, lock=True)
            if key and ApplicationRepository(uow.session).did_with_key(app.id, "resubmit", key):
                return self._view(uow, app, actor)
            if version is not None and int(version) != app.version:
                raise Conflict(STALE, code="stale_version")
            records = self._records(app.enterprise_id)
            result = self._evaluate(app, records)
            app.precheck, app.precheck_records_version = result, records.get("records_version")
            self._move(
                uow, app, "resubmit", actor, {"precheck_passed": result["passed"]}, note="补正后重新提交",
                **({"key": key} if key else {}),
            )
            app.revision += 1
            app.submitted_at = _now()
            app.correction_items = []
            self._request_review(uow, app, records)
            self._commit(uow)
            return self._view(uow, app, actor)

    # ---- withdraw / terminate / discard ------------------------------------------------------
    @service_rpc
    def withdraw(self, actor: dict, application_id: str, reason: str = "") -> dict:
        return self._leave(actor, application_id, "withdraw", reason or "企业撤回申请", "withdrawn")

    @service_rpc
    def terminate(self, actor: dict, application_id: str, reason: str = "") -> dict:
        if not (reason or "").strip():
            raise ValidationFailed.from_fields({"reason": [field_error("required", "请填写终止办理的原因")]})
        return self._leave(actor, application_id, "terminate", reason, "terminated")

    def _leave(self, actor: dict, application_id: str, action: str, reason: str, outcome: str) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, lock=True)
            self._move(uow, app, action, actor, note=reason)
            if app.case_ref:
                uow.add_event(
                    REVIEW_WITHDRAWN,
                    {
                        "case_ref": app.case_ref,
                        "reason": reason,
                        "by": str(actor.get("id")),
                        "outcome": outcome,
                    },
                )
            self._commit(uow)
            return self._view(uow, app, actor)

    @service_rpc
    def discard(self, actor: dict, application_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=True, lock=True)
            self._move(uow, app, "discard", actor, note="申请废弃")
            app.batch_id = None
            self._commit(uow)
            return self._view(uow, app, actor)

    # ---- reading ---------------------------------------------------------------------------
    @service_rpc
    def get_application(self, actor: dict, application_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            app = self._load(uow, actor, application_id, write=False)
            view = self._view(uow, app, actor, detail=True)
            return view

    @service_rpc
    def list_applications(self, actor: dict, query: dict | None = None) -> list[dict]:
        """我的资质 / 申报批次: ``query.state_group`` pending (待上报) | submitted (已上报) | all,
        ``query.batched`` true / false / absent."""
        query = query or {}
        eid = self._enterprise_for(actor, write=False)
        group = query.get("state_group") or "all"
        with self.db.unit_of_work() as uow:
            apps = ApplicationRepository(uow.session).of_enterprise(eid)
            result = []
            for app in apps:
                if app.state == "discarded" and group != "all":
                    continue
                pending = app.state in lifecycle.DRAFT_STATES
                if group == "pending" and not pending or group == "submitted" and pending:
                    continue
                if (
                    "batched" in query
                    and query["batched"] is not None
                    and bool(app.batch_id) != bool(query["batched"])
                ):
                    continue
                result.append(self._view(uow, app, actor))
            return result

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        """A short-lived download link of an application's file (申报表, signed scan, material,
        licence PDF) for whoever may read the application; anyone else: 404 and an audit row."""
        aid = uuid_or_not_found(attachment_id, "附件不存在")
        with self.db.unit_of_work() as uow:
            repo = ApplicationRepository(uow.session)
            row = repo.attachment(aid)
            app = repo.get(row.application_id) if row is not None and row.application_id else None
            found = None if row is None else (
                row.enterprise_id, app.case_ref if app else None, row.storage_key, row.filename,
                row.content_type)
        if found is None or not self._may_read(actor, found[0], found[1]):
            self.audit_alone("permits.access_refused", actor, aid, reason="attachment")
            raise NotFound("附件不存在")
        _, _, key, filename, content_type = found
        url = ObjectStore(self.config["PLATFORM"]).download_url(key, filename)
        return {"url": url, "filename": filename, "content_type": content_type}

    def _app_dict(self, uow: Any, app: Application) -> dict:
        original = None
        if app.original_licence_id:
            lic = LicenceRepository(uow.session).get(app.original_licence_id)
            original = lic.number if lic else None
        return {
            "id": str(app.id),
            "number": app.number,
            "type_code": app.type_code,
            "transaction_kind": app.transaction_kind,
            "items": list(app.items or []),
            "lane": app.lane,
            "nature": app.nature,
            "submitter": app.submitter,
            "values": dict(app.values or {}),
            "original_licence_number": original,
            "enterprise_name": app.enterprise_name,
            "enterprise_uscc": app.enterprise_uscc,
            "region_code": app.region_code,
        }

    def _view(self, uow: Any, app: Application, actor: dict | None, detail: bool = False) -> dict:
        bt = self.catalogue.type(app.type_code)
        repo = ApplicationRepository(uow.session)
        commitment_seconds = self._commitment_seconds()
        remaining = None
        if app.commitment_opened_at is not None and app.state == "previewed":
            remaining = max(0.0, commitment_seconds - (_now() - app.commitment_opened_at).total_seconds())
        view: dict[str, Any] = {
            "id": str(app.id),
            "number": app.number,
            "enterprise_id": str(app.enterprise_id),
            "enterprise_name": app.enterprise_name,
            "type_code": app.type_code,
            "type_name": bt.name,
            "transaction_kind": app.transaction_kind,
            "transaction_label": bt.transaction(app.transaction_kind)["label"],
            "items": list(app.items or []),
            "selection": adapters.selection_text(bt, app.items or []),
            "lane": app.lane,
            "lane_label": LANES.get(app.lane, app.lane),
            "nature": app.nature,
            "submitter": app.submitter,
            "state": app.state,
            "state_label": lifecycle.STATES[app.state],
            "version": app.version,
            "revision": app.revision,
            "case_ref": app.case_ref,
            "review_step": app.review_step,
            "batch_id": str(app.batch_id) if app.batch_id else None,
            "precheck": app.precheck,
            "precheck_records_version": app.precheck_records_version,
            "values": dict(app.values or {}),
            "form_inputs": prefill.form_inputs(bt, app.transaction_kind, app.values or {}),
            "owed_standards": list(app.owed_standards or []),
            "correction_items": list(app.correction_items or []),
            "correction_inputs": [
                {"name": name, "label": spec["label"], "value": (app.values or {}).get(spec["key"])}
                for name, spec in adapters.correction_inputs(
                    bt, app.transaction_kind,
                    [i["name"] for i in app.correction_items or [] if i["target"] == "field"]).items()
            ] if app.state == "correction_requested" else [],
            "correction_deadline": _iso(app.correction_deadline),
            "decision": app.decision,
            "decision_reason": app.decision_reason,
            "licence_id": str(app.licence_id) if app.licence_id else None,
            "form_attachment_id": str(app.form_attachment_id) if app.form_attachment_id else None,
            "signed_scan_id": str(app.signed_scan_id) if app.signed_scan_id else None,
            "commitment_seconds": commitment_seconds,
            "commitment_opened_at": _iso(app.commitment_opened_at),
            "commitment_remaining_seconds": remaining,
            "submitted_at": _iso(app.submitted_at),
            "created_at": _iso(app.created_at),
            "updated_at": _iso(app.updated_at),
            "allowed_actions": lifecycle.allowed_actions(app.state),
            "progress": _progress(app.state),
        }
        if detail:
            view["attachments"] = [
                dict(attachment_view(a), purpose=a.purpose, label=a.label)
                for a in repo.attachments_of(app.id)
            ]
            view["history"] = [
                {
                    "at": _iso(h.at),
                    "action": h.action,
                    "action_label": lifecycle.ACTIONS.get(h.action, _EXTRA_ACTIONS.get(h.action, h.action)),
                    "from_state": h.from_state,
                    "to_state": h.to_state,
                    "to_label": lifecycle.STATES.get(h.to_state or "", h.to_state),
                    "actor_id": h.actor_id,
                    "actor_kind": h.actor_kind,
                    "note": h.note,
                    "detail": h.detail,
                }
                for h in repo.history(app.id)
            ]
            view["owed_materials"] = [
                {
                    "code": o.code,
                    "name": o.name,
                    "deadline": o.deadline.isoformat(),
                    "fulfilled_at": _iso(o.fulfilled_at),
                    "defaulted_at": _iso(o.defaulted_at),
                }
                for o in repo.owed_of(app.id)
            ]
            missing, owable = self._missing_materials(uow, app)
            view["required_attachments"] = [
                dict(spec, uploaded=spec["code"] not in {m["code"] for m in missing + owable})
                for spec in bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter)
            ]
        return view

    # ---- review's answers ------------------------------------------------------------------------
    def _case_app(self, uow: Any, envelope: dict, consumer: str) -> Application | None:
        case_ref = envelope["data"]["case_ref"]
        if not case_ref.startswith(CASE_REF_PREFIX):
            return None  # another producer's case
        if not uow.claim_event(envelope["id"], consumer):
            return None
        app = ApplicationRepository(uow.session).by_case_ref(case_ref)
        if app is None:
            log.warning("review answered for unknown case %s", case_ref)
        return app

    @reliable_event_handler("review", "case_accepted")
    def on_case_accepted(self, body: dict) -> None:
        envelope = CASE_ACCEPTED.parse(body)
        with self.db.unit_of_work() as uow:
            app = self._case_app(uow, envelope, "permits.on_case_accepted")
            if app is not None:
                app.case_id = envelope["data"]["case_id"]
                app.review_step = envelope["data"].get("step") or app.review_step
                if app.state in ("submitted", "resubmitted"):
                    self._move(uow, app, "accept", None, note="审核机关已受理")
            uow.commit()

    @reliable_event_handler("review", "case_step_changed")
    def on_case_step_changed(self, body: dict) -> None:
        envelope = CASE_STEP_CHANGED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            app = self._case_app(uow, envelope, "permits.on_case_step_changed")
            if app is not None:
                app.case_id = data["case_id"]
                app.review_step = data.get("step_label") or data.get("step")
                if app.state in ("submitted", "resubmitted"):
                    self._move(uow, app, "accept", None, note=f"进入{app.review_step}")
                else:
                    ApplicationRepository(uow.session).add_history(
                        app,
                        "step_changed",
                        app.state,
                        app.state,
                        None,
                        f"进入{app.review_step}",
                        level=data.get("level"),
                    )
                uow.commit()

    def _with_material_codes(self, uow: Any, app: Application, items: list[dict]) -> list[dict]:
        """Review names an attachment by the id it was sent with; the upload that replaces it
        is matched by its material code, so each attachment item also carries ``code``. Every
        item gets the ``label`` the enterprise knows it by."""
        repo = ApplicationRepository(uow.session)
        bt = self.catalogue.type(app.type_code)
        labels = {f"{section['code']}.{field['name']}": field["label"]
                  for section in bt.form_sections(app.transaction_kind)
                  for field in section.get("fields") or []}
        result = []
        for item in items:
            item = dict(item)
            if item.get("target") == "attachment":
                try:
                    found = repo.attachment(uuid.UUID(str(item["name"])))
                except ValueError:
                    found = None
                if found is not None and found.application_id == app.id:
                    item["code"] = found.purpose
                    item["label"] = found.label
            else:
                item["label"] = labels.get(item["name"], item["name"])
            result.append(item)
        return result

    @reliable_event_handler("review", "correction_requested")
    def on_correction_requested(self, body: dict) -> None:
        envelope = CORRECTION_REQUESTED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            app = self._case_app(uow, envelope, "permits.on_correction_requested")
            if app is not None:
                app.case_id = data["case_id"]
                app.correction_items = self._with_material_codes(uow, app, data["items"])
                app.correction_deadline = data.get("deadline")
                reasons = "；".join(f"{i['name']}：{i['reason']}" for i in data["items"])
                self._move(
                    uow,
                    app,
                    "request_correction",
                    None,
                    note=f"要求补正：{reasons}",
                    items=[dict(i) for i in data["items"]],
                )
            uow.commit()

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        envelope = CASE_DECIDED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            app = self._case_app(uow, envelope, "permits.on_case_decided")
            if app is not None:
                app.case_id = data["case_id"]
                if app.state in ("submitted", "resubmitted") and data["decision"] == "approved":
                    self._move(uow, app, "accept", None, note="审核机关已受理")
                action = "approve" if data["decision"] == "approved" else "reject"
                app.decision, app.decision_reason = data["decision"], data.get("reason")
                self._move(
                    uow,
                    app,
                    action,
                    None,
                    note=data.get("reason") or ("审批通过" if action == "approve" else "不予许可"),
                    decided_by=data.get("decided_by"),
                )
                uow.add_event(
                    APPLICATION_DECIDED,
                    {
                        "application_id": app.id,
                        "enterprise_id": app.enterprise_id,
                        "decision": data["decision"],
                        "reason": data.get("reason"),
                        "at": _now(),
                    },
                )
                if action == "approve":
                    self._issue(uow, app)
            uow.commit()

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        envelope = CASE_CLOSED.parse(body)
        with self.db.unit_of_work() as uow:
            app = self._case_app(uow, envelope, "permits.on_case_closed")
            if app is not None:
                ApplicationRepository(uow.session).add_history(
                    app,
                    "case_closed",
                    app.state,
                    app.state,
                    None,
                    f"审核机关已确认{'撤回' if envelope['data']['outcome'] == 'withdrawn' else '终止办理'}",
                )
            uow.commit()

    # ---- licences ----------------------------------------------------------------------------
    def _issue(self, uow: Any, app: Application) -> Licence | None:
        bt = self.catalogue.type(app.type_code)
        repo = LicenceRepository(uow.session)
        today = adapters.today_in_beijing(_now())
        original = repo.get(app.original_licence_id, for_update=True) if app.original_licence_id else None
        number = None
        if app.transaction_kind == "new":
            number = licences.next_number(
                bt, app.region_code or DEFAULT_REGION, today.year, repo.next_sequence(bt.code, today.year)
            )
        outcome = transactions.licence_after(
            app.transaction_kind,
            _domain_licence(original) if original else None,
            {
                "items": [(i["category"], i["grade"]) for i in app.items or []],
                "number": number,
                "holder_id": str(app.enterprise_id),
                "holder_name": app.enterprise_name or "",
                "holder_uscc": app.enterprise_uscc or "",
                "details": _licence_details(app.values or {}),
            },
            today,
            business_type=bt,
        )
        if original is not None and outcome.previous is not None:
            self._set_status(uow, original, outcome.previous.status, None)
        if outcome.licence is None:  # 注销: nothing new to issue
            self._move(
                uow, app, "issue_licence", None, note=f"证书{original.number if original else ''}已注销"
            )
            return None
        new = outcome.licence
        licence = Licence(
            number=new.number,
            type_code=new.type_code,
            items=[{"category": i.category, "grade": i.grade} for i in new.items],
            enterprise_id=app.enterprise_id,
            holder_name=new.holder_name,
            holder_uscc=new.holder_uscc,
            issued_on=new.issued_on,
            first_issued_on=new.first_issued_on,
            valid_from=new.valid_from,
            valid_until=new.valid_until,
            edition=new.edition,
            status=new.status,
            verify_token=secrets.token_urlsafe(24),
            application_id=app.id,
            details=dict(new.details),
        )
        repo.add(licence)
        if original is not None:
            original.replaced_by = licence.id
        number, valid_from, valid_until = licence.number, licence.valid_from, licence.valid_until
        verify_url = f"{self._public_url()}/verify/{licence.verify_token}"
        context = adapters.certificate_context(bt, _domain_licence(licence))
        name = bt.licence["certificate_name"]
        checked = self.renderers.run(adapters.CERTIFICATE_JOB, context, verify_url, f"{name}-{number}.pdf")
        cert = self._keep(uow, app, "certificate", name, checked, None)
        cert.licence_id = licence.id
        licence.certificate_attachment_id = cert.id
        app.licence_id = licence.id
        self._move(uow, app, "issue_licence", None, note=f"核发证书 {number}", licence_number=number)
        uow.add_event(
            LICENCE_ISSUED,
            {
                "licence_id": licence.id,
                "enterprise_id": licence.enterprise_id,
                "application_id": app.id,
                "number": number,
                "type_code": licence.type_code,
                "items": licence.items,
                "valid_from": valid_from,
                "valid_until": valid_until,
            },
        )
        audit.record(
            uow.session,
            "permits.licence.issued",
            subject_id=str(licence.id),
            number=number,
            application_id=str(app.id),
        )
        return licence

    def _set_status(self, uow: Any, licence: Licence, status: str, actor: dict | None,
                    reason: str | None = None) -> None:
        if status not in licences.STORED_STATUSES:
            raise ValidationFailed.from_fields({"status": [field_error("unknown", "证书状态不正确")]})
        old = licence.status
        licence.status = status
        uow.add_event(
            LICENCE_STATUS_CHANGED,
            {
                "licence_id": licence.id,
                "enterprise_id": licence.enterprise_id,
                "number": licence.number,
                "type_code": licence.type_code,
                "status": status,
                "valid_until": licence.valid_until,
            },
        )
        audit.record(
            uow.session,
            "permits.licence.status_changed",
            actor_id=(actor or {}).get("id"),
            subject_id=str(licence.id),
            old=old,
            new=status,
            reason=reason,
        )

    @service_rpc
    def my_licences(self, actor: dict) -> list[dict]:
        eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            return [self._licence_view(lic) for lic in LicenceRepository(uow.session).of_enterprise(eid)]

    @service_rpc
    def get_licence(self, actor: dict, licence_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            lic = LicenceRepository(uow.session).get(uuid_or_not_found(licence_id, LICENCE_NOT_FOUND))
            app = ApplicationRepository(uow.session).get(lic.application_id) \
                if lic is not None and lic.application_id else None
            if lic is None or not self._may_read(actor, lic.enterprise_id, app.case_ref if app else None):
                uow.session.rollback()
                self.audit_alone("permits.access_refused", actor, licence_id, reason="licence")
                raise NotFound(LICENCE_NOT_FOUND)
            return self._licence_view(lic)

    @service_rpc
    def find_licences(self, actor: dict, number: str = "", at_risk: bool = False) -> list[dict]:
        """Staff look licences up by (part of) their number, newest first; ``at_risk``: only
        those flagged because their standards are no longer met. A reviewer sees only the
        licences of enterprises in their desk's jurisdiction, admins and the ministry all."""
        self._require_staff(actor)
        prefix = jurisdiction.region_prefix(actor)
        if prefix is None:  # a reviewer without a desk (level and region) has no jurisdiction
            return []
        with self.db.unit_of_work() as uow:
            return [self._licence_view(lic) for lic in LicenceRepository(uow.session).search(
                str(number or "").strip()[:60], at_risk=bool(at_risk), region_prefix=prefix)]

    @service_rpc
    def set_licence_status(self, actor: dict, licence_id: str, status: str, reason: str = "") -> dict:
        """暂扣 / 撤销 / 恢复 by an admin (the public verify page shows it at once)."""
        self._require_staff(actor, admin=True)
        if status in ("suspended", "revoked") and not (reason or "").strip():
            raise ValidationFailed.from_fields(
                {"reason": [field_error("required", "暂扣或撤销证书须填写原因")]})
        if status not in ("valid", "suspended", "revoked"):
            raise ValidationFailed.from_fields(
                {"status": [field_error("unknown", "只能将证书设为有效、暂扣或撤销")]})
        with self.db.unit_of_work() as uow:
            lic = LicenceRepository(uow.session).get(
                uuid_or_not_found(licence_id, LICENCE_NOT_FOUND), for_update=True
            )
            if lic is None:
                raise NotFound(LICENCE_NOT_FOUND)
            if lic.status in ("replaced", "cancelled"):
                raise InvalidTransition("已换发或注销的证书不能再变更状态")
            self._set_status(uow, lic, status, actor, reason=(reason or "").strip() or None)
            uow.commit()
            return self._licence_view(lic)

    @service_rpc
    def verify_licence(self, token: str) -> dict:
        """Public: non-sensitive fields and the live status of the licence behind a QR code."""
        with self.db.unit_of_work() as uow:
            lic = LicenceRepository(uow.session).by_token(str(token or "")[:64]) if token else None
            if lic is None:
                raise NotFound("未查询到该证书，请核对二维码或证书编号。")
            bt = self.catalogue.type(lic.type_code)
            return licences.public_fields(_domain_licence(lic), bt, adapters.today_in_beijing(_now()))

    def _licence_view(self, lic: Licence) -> dict:
        bt = self.catalogue.type(lic.type_code)
        today = adapters.today_in_beijing(_now())
        public = licences.public_fields(_domain_licence(lic), bt, today)
        return {
            **public,
            "id": str(lic.id),
            "type_code": lic.type_code,
            "items_raw": list(lic.items or []),
            "enterprise_id": str(lic.enterprise_id),
            "verify_token": lic.verify_token,
            "verify_path": f"/verify/{lic.verify_token}",
            "at_risk": lic.at_risk,
            "certificate_attachment_id": str(lic.certificate_attachment_id)
            if lic.certificate_attachment_id
            else None,
            "application_id": str(lic.application_id) if lic.application_id else None,
            "actions": certificate_actions.offered(bt, _domain_licence(lic), str(lic.id), today),
        }

    # ---- for enterprise's name-change check --------------------------------------------------
    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict:
        eid = uuid_or_not_found(enterprise_id, "企业不存在")
        with self.db.unit_of_work() as uow:
            apps = ApplicationRepository(uow.session).of_enterprise(eid, lifecycle.OPEN_STATES)
            result = []
            for app in apps:
                bt = self.catalogue.type(app.type_code)
                result.append(
                    {
                        "id": str(app.id),
                        "kind": "permits_application",
                        "title": joined(bt.name, bt.transaction(app.transaction_kind)["label"])
                        + f" {app.number}",
                        "status": lifecycle.STATES[app.state],
                    }
                )
            return {"open": result}

    # ---- batches (申报批次) --------------------------------------------------------------------
    def _batch(self, uow: Any, actor: dict, batch_id: object, write: bool) -> Batch:
        eid = self._enterprise_for(actor, write=write)
        batch = BatchRepository(uow.session).get(
            uuid_or_not_found(batch_id, BATCH_NOT_FOUND), for_update=write
        )
        if batch is None or batch.enterprise_id != eid:
            raise NotFound(BATCH_NOT_FOUND)
        return batch

    @service_rpc
    def create_batch(self, actor: dict, name: str) -> dict:
        eid = self._enterprise_for(actor, write=True)
        if name is not None and not isinstance(name, str):  # e.g. {"name": [null]} from the API
            raise ValidationFailed.from_fields({"name": [field_error("invalid", "批次名称必须是文字")]})
        name = (name or "").strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed.from_fields(
                {"name": [field_error("required", "请填写批次名称（100字以内）")]}
            )
        with self.db.unit_of_work() as uow:
            batch = Batch(enterprise_id=eid, name=name, status="pending", created_by=actor.get("id"))
            BatchRepository(uow.session).add(batch)
            audit.record(
                uow.session, "permits.batch.create", actor_id=actor.get("id"), subject_id=str(batch.id)
            )
            uow.commit()
            return self._batch_view(uow, batch, actor)

    @service_rpc
    def list_batches(self, actor: dict) -> list[dict]:
        eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            return [self._batch_view(uow, b, actor) for b in BatchRepository(uow.session).of_enterprise(eid)]

    @service_rpc
    def get_batch(self, actor: dict, batch_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return self._batch_view(uow, self._batch(uow, actor, batch_id, write=False), actor)

    def _batch_view(self, uow: Any, batch: Batch, actor: dict) -> dict:
        apps = ApplicationRepository(uow.session).in_batch(batch.id)
        return {
            "id": str(batch.id),
            "name": batch.name,
            "status": batch.status,
            "status_label": "已上报" if batch.status == "submitted" else "待上报",
            "created_at": _iso(batch.created_at),
            "submitted_at": _iso(batch.submitted_at),
            "applications": [self._view(uow, a, actor) for a in apps],
        }

    @service_rpc
    def add_to_batch(self, actor: dict, batch_id: str, application_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            if batch.status != "pending":
                raise InvalidTransition("已上报的批次不能再添加申请")
            app = self._load(uow, actor, application_id, write=True)
            if app.state not in lifecycle.DRAFT_STATES:
                raise InvalidTransition("只有未提交的申请可以加入批次")
            app.batch_id = batch.id
            _flush(uow)
            self._commit(uow)
            return self._batch_view(uow, batch, actor)

    @service_rpc
    def remove_from_batch(self, actor: dict, batch_id: str, application_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            app = self._load(uow, actor, application_id, write=True)
            if app.batch_id != batch.id:
                raise NotFound(NOT_FOUND)
            if app.state not in lifecycle.DRAFT_STATES:
                raise InvalidTransition("已上报的申请不能移出批次")
            app.batch_id = None
            _flush(uow)
            self._commit(uow)
            return self._batch_view(uow, batch, actor)

    @service_rpc
    def submit_batch(self, actor: dict, batch_id: str, idempotency_key: str | None = None) -> dict:
        """Submit every application of the batch; one result per item (ok, or why not)."""
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            ids = [str(a.id) for a in ApplicationRepository(uow.session).in_batch(batch.id)]
        results = []
        for app_id in ids:
            key = f"{idempotency_key}:{app_id}"[:64] if idempotency_key else None
            results.append(self._try(lambda a=app_id, k=key: self.submit(actor, a, k), app_id))
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            # Locked: a duplicate submit of the batch (same key) finds it submitted and keeps
            # the first submitted_at and audit row.
            if results and all(r["ok"] for r in results) and batch.status != "submitted":
                batch.status, batch.submitted_at = "submitted", _now()
                audit.record(
                    uow.session, "permits.batch.submit", actor_id=actor.get("id"), subject_id=str(batch.id)
                )
            uow.commit()
            return {"batch": self._batch_view(uow, batch, actor), "results": results}

    @service_rpc
    def delete_batch(self, actor: dict, batch_id: str) -> dict:
        """Discard every unsubmitted application of the batch and delete the batch when empty."""
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            ids = [str(a.id) for a in ApplicationRepository(uow.session).in_batch(batch.id)]
        results = [self._try(lambda a=app_id: self.discard(actor, a), app_id) for app_id in ids]
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            left = ApplicationRepository(uow.session).in_batch(batch.id)
            deleted = not left
            if deleted:
                uow.session.delete(batch)
                audit.record(
                    uow.session, "permits.batch.delete", actor_id=actor.get("id"), subject_id=str(batch_id)
                )
            uow.commit()
            return {"deleted": deleted, "results": results}

    @staticmethod
    def _try(call: Any, app_id: str) -> dict:
        try:
            view = call()
            return {
                "application_id": app_id,
                "ok": True,
                "state": view["state"],
                "message": f"{view['number']}：{view['state_label']}",
            }
        except (InvalidTransition, ValidationFailed, Conflict, NotFound, Forbidden) as exc:
            return {"application_id": app_id, "ok": False, "code": exc.code, "message": exc.message}

    # ---- 容缺 credit register ----------------------------------------------------------------
    @service_rpc
    def credit_register(self, actor: dict) -> list[dict]:
        self._require_staff(actor)
        with self.db.unit_of_work() as uow:
            return [
                {
                    "enterprise_id": str(r.enterprise_id),
                    "rating": r.rating,
                    "free_trade_zone": r.free_trade_zone,
                    "note": r.note,
                    "updated_by": r.updated_by,
                    "updated_at": _iso(r.updated_at),
                }
                for r in CreditRepository(uow.session).all()
            ]

    @service_rpc
    def set_credit(self, actor: dict, payload: dict) -> dict:
        self._require_staff(actor, admin=True)
        data = load_or_fail(CreditSchema(), payload)
        with self.db.unit_of_work() as uow:
            row = CreditRepository(uow.session).put(
                data["enterprise_id"], data["rating"], data.get("note"), actor.get("id"),
                free_trade_zone=data.get("free_trade_zone"),
            )
            audit.record(
                uow.session,
                "permits.credit.set",
                actor_id=actor.get("id"),
                subject_id=str(data["enterprise_id"]),
                rating=data["rating"],
                free_trade_zone=row.free_trade_zone,
            )
            uow.commit()
            return {"enterprise_id": str(row.enterprise_id), "rating": row.rating, "note": row.note,
                    "free_trade_zone": row.free_trade_zone}

    @service_rpc
    def credit_eligibility(self, actor: dict, enterprise_id: str | None = None) -> dict:
        if (actor or {}).get("kind") in ("reviewer", "admin"):
            eid = uuid_or_not_found(enterprise_id, "企业不存在")
        else:
            eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            ok, reason = self._eligibility(uow, eid)
            return {"eligible": ok, "reason": reason}

    @service_rpc
    def lane_options(self, actor: dict, type_code: str, kind: str = "new") -> list[dict]:
        """The lanes this enterprise may use for ``kind`` of ``type_code``, and why not (asked
        before it starts: issue 15 item 7)."""
        eid = self._enterprise_for(actor, write=False)
        try:
            bt = self.catalogue.type(str(type_code))
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
        with self.db.unit_of_work() as uow:
            today = adapters.today_in_beijing(_now())
            return lane_access.options(bt, kind, lane_access.credit_record(uow.session, eid, today), today)

    @timer(interval=3600)
    def sweep_owed_deadlines(self) -> None:
        """A missed owed-materials deadline is recorded as a default (blocks 容缺 for two years)."""
        self.record_defaults()

    def record_defaults(self, today: date | None = None) -> int:
        today = today or adapters.today_in_beijing(_now())
        with self.db.unit_of_work() as uow:
            overdue = ApplicationRepository(uow.session).overdue_owed(today)
            for owed in overdue:
                owed.defaulted_at = _now()
                CreditRepository(uow.session).add_default(
                    CreditDefault(
                        enterprise_id=owed.enterprise_id,
                        application_id=owed.application_id,
                        owed_material_id=owed.id,
                        what=owed.name,
                        deadline=owed.deadline,
                    )
                )
                audit.record(
                    uow.session, "permits.credit.default", subject_id=str(owed.enterprise_id), what=owed.name
                )
            uow.commit()
            return len(overdue)



def _time_limit(transaction: dict, lane: str) -> int | None:
    """Working days for this transaction in this lane (the normal lane's when not listed)."""
    limits = transaction.get("time_limit_days") or {}
    return limits.get(lane, limits.get("normal"))


SERVICE_CLASS = PermitsService

_EXTRA_ACTIONS = {
    "create": "创建申请",
    "update": "修改申请",
    "records_changed": "企业信息变更后重新预审",
    "upload_material": "上传申请材料",
    "open_commitment": "打开承诺书",
    "correct": "修改补正事项",
    "step_changed": "审核环节变更",
    "case_closed": "审核机关确认",
}
_PROGRESS = (
    "draft",
    "prechecked",
    "form_generated",
    "signed_uploaded",
    "previewed",
    "committed",
    "submitted",
    "under_review",
    "approved",
    "licence_issued",
)


def _progress(state: str) -> dict[str, Any]:
    """我的资质 progress: the step index on the main path (corrections count as under review)."""
    main = {"correction_requested": "under_review", "resubmitted": "under_review"}.get(state, state)
    step = _PROGRESS.index(main) + 1 if main in _PROGRESS else None
    return {"step": step, "of": len(_PROGRESS), "final": state in lifecycle.FINAL_STATES}


_CATALOGUE: Catalogue | None = None


def _catalogue() -> Catalogue:
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = load_catalogue()
    return _CATALOGUE


def _domain_licence(lic: Licence) -> licences.Licence:
    return licences.Licence(
        number=lic.number,
        type_code=lic.type_code,
        holder_id=str(lic.enterprise_id),
        holder_name=lic.holder_name,
        holder_uscc=lic.holder_uscc,
        items=tuple(licences.LicenceItem(i["category"], i["grade"]) for i in lic.items),
        issued_on=lic.issued_on,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        status=lic.status,
        edition=lic.edition,
        first_issued_on=lic.first_issued_on,
        details=dict(lic.details or {}),
    )


def _licence_details(values: dict[str, Any]) -> dict[str, Any]:
    """Registration items printed on the certificate (not shown by the public verify page)."""
    return {key: values[key] for key in ("legal_representative", "address") if values.get(key)}
