"""What notify says about each event: plain Python, unit-tested."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.common.wording import reason_prefix

MAX_MAIL_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Notice:
    recipient_id: str
    title: str
    body: str
    link: str | None
    mail_to: str | None
    mail_template: str | None
    # Links that are credentials (verify, reset) go by mail only, not into 我的消息.
    show_message: bool = True


def notice_for_account_registered(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="企业账号注册成功",
        body=(f"{data['contact_name']}，您好！统一社会信用代码为 {data['uscc']} 的企业账号已创建。"
              "验证邮件已发送到注册邮箱，请完成邮箱验证后登录，继续填写企业信息。"),
        link="/messages",
        mail_to=data["email"],
        mail_template="account_registered.txt",
    )


def mail_backoff(attempts: int) -> timedelta:
    """Exponential back-off for a failed send: 10 s, 20 s, 40 s … capped at 30 minutes."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_MAIL_BACKOFF)


def notice_for_verification_link(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="请验证您的注册邮箱",
        body="验证邮件已发送到您的注册邮箱，请点击邮件中的链接完成验证（24小时内有效）。",
        link=None,
        mail_to=data["email"],
        mail_template="verify_email.txt",
        show_message=False,
    )


def notice_for_password_reset(data: dict[str, Any]) -> Notice:
    return Notice(
        recipient_id=str(data["account_id"]),
        title="重置密码",
        body="我们收到了重置密码的申请，重置链接已发送到您的邮箱（30分钟内有效）。如非本人操作，请忽略。",
        link=None,
        mail_to=data["email"],
        mail_template="reset_password.txt",
        show_message=False,
    )


STATUS_NOTICES = {
    "pending_review": ("邮箱验证成功，注册信息待审核", "您的邮箱已验证，注册信息已提交审核，请耐心等待。"),
    "active": ("账号已可以使用", "您的账号已通过审核（或验证），现在可以登录办理业务。"),
    "rejected": ("注册审核不通过",
                 "您的注册未通过审核。原因：{reason}。请登录后点击“前往修改”，按驳回原因修改后重新提交。"),
    "disabled": ("账号已停用", "您的账号已被停用，如有疑问请联系管理员。"),
}


def notice_for_status_change(data: dict[str, Any]) -> Notice | None:
    """Only the statuses a person needs to hear about get a message (and a mail for decisions)."""
    entry = STATUS_NOTICES.get(data["status"])
    if entry is None or data["kind"] not in ("enterprise", "sub"):
        return None
    title, body = entry
    return Notice(
        recipient_id=str(data["account_id"]),
        title=title,
        body=body.format(reason=data.get("reason") or "未说明"),
        link="/account",
        mail_to=None,
        mail_template=None,
    )


# =============================================================================================
# Recipients: an account, an enterprise (optionally one module of it), a reviewer desk, admins
# =============================================================================================
ADMIN_DESK = "admin"


@dataclass(frozen=True)
class Recipient:
    """Who a message or to-do is for.

    ``account_id`` is an account, or an enterprise (``enterprise_id`` is the id of the
    enterprise's main account, docs/contracts.md). With ``module`` set, the enterprise's
    sub-accounts that hold that module see it too; without, only the main account does.
    ``desk`` is a reviewer desk ``<level>:<region_code>`` or ``admin``.
    """

    account_id: str | None = None
    module: str | None = None
    desk: str | None = None

    @staticmethod
    def enterprise(enterprise_id: str, module: str | None = None) -> Recipient:
        return Recipient(account_id=str(enterprise_id), module=module)

    @staticmethod
    def reviewer_desk(level: str, region_code: str) -> Recipient:
        return Recipient(desk=f"{level}:{region_code}")

    @staticmethod
    def admins() -> Recipient:
        return Recipient(desk=ADMIN_DESK)


@dataclass(frozen=True)
class Audience:
    """What one signed-in actor may see: rows for ``own`` ids (any module), rows for
    ``enterprise_id`` with a module in ``modules``, and rows for ``desks``."""

    own: tuple[str, ...]
    enterprise_id: str | None
    modules: tuple[str, ...]
    desks: tuple[str, ...]


ENTERPRISE_MODULES = ("enterprise", "personnel", "permits")


def audience_for(actor: dict[str, Any]) -> Audience:
    kind = actor.get("kind")
    own = (str(actor["id"]),)
    if kind == "sub":
        modules = tuple(m for m in ENTERPRISE_MODULES if m in (actor.get("permissions") or []))
        enterprise_id = actor.get("enterprise_id")
        return Audience(own, str(enterprise_id) if enterprise_id and modules else None, modules, ())
    if kind == "reviewer":
        desks = (f"{actor['level']}:{actor['region_code']}",) if actor.get("level") and \
            actor.get("region_code") else ()
        return Audience(own, None, (), desks)
    if kind == "admin":
        return Audience(own, None, (), (ADMIN_DESK,))
    return Audience(own, None, (), ())  # enterprise main account (or registering): its own rows


def visible(audience: Audience, recipient: Recipient) -> bool:
    """The same rule as the repository's query, for one row (unit-tested)."""
    if recipient.desk is not None:
        return recipient.desk in audience.desks
    if recipient.account_id in audience.own:
        return True
    return (recipient.account_id == audience.enterprise_id and recipient.module is not None
            and recipient.module in audience.modules)


# =============================================================================================
# What an event causes: messages, to-dos, done rules, mails, agency events
# =============================================================================================
@dataclass(frozen=True)
class Note:
    recipient: Recipient
    title: str
    body: str
    link: str | None = None


@dataclass(frozen=True)
class Todo:
    recipient: Recipient
    kind: str            # correction, rating, overdue, self_inspection, change_review, transfer, follow_up
    subject_ref: str     # what it is about (a case_ref, a campaign target, a rating …)
    title: str
    body: str
    link: str
    due_date: date | None = None


@dataclass(frozen=True)
class Done:
    """Mark open to-dos about ``subject_ref`` (of these kinds; empty = all kinds) done."""

    subject_ref: str
    kinds: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class MailOut:
    to: str
    subject: str
    template: str
    data: dict[str, Any]


@dataclass
class Effects:
    notes: list[Note] = field(default_factory=list)
    todos: list[Todo] = field(default_factory=list)
    done: list[Done] = field(default_factory=list)
    mails: list[MailOut] = field(default_factory=list)
    agency: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (agency type, data)
    deadlines: list[Deadline] = field(default_factory=list)
    rating_for: str | None = None   # case_ref: open a rating token (一事一评) for it


@dataclass(frozen=True)
class Deadline:
    """A date someone must meet, reminded before it passes (once per threshold)."""

    kind: str            # correction, materials
    subject_ref: str
    recipient: Recipient
    title: str
    link: str
    due_date: date


def case_link(case_ref: str) -> str:
    """Where the enterprise handles a case: the producer's page for it."""
    producer, _, rest = case_ref.partition(":")
    kind, _, ident = rest.partition(":")
    if producer == "identity":
        return "/account"
    if producer == "enterprise":
        return "/enterprise/changes" if kind.startswith("change") else "/enterprise"
    return f"/{producer}/{kind}s/{ident}" if ident else f"/{producer}"


def module_of(case_ref: str) -> str:
    """Which enterprise module a case belongs to (sub-accounts with it see its to-dos)."""
    producer = case_ref.partition(":")[0]
    return {"personnel": "personnel", "enterprise": "enterprise", "identity": "enterprise"}.get(
        producer, "permits")


CORRECTION_KINDS = ("correction",)
MOVED_ON_KINDS = ("correction", "overdue", "change_review")


def _case_title(case: dict[str, Any] | None, case_ref: str) -> str:
    return (case or {}).get("title") or case_ref


def review_labels(form_fields: dict[str, Any], attachments: list[dict[str, Any]]) -> dict[str, str]:
    """A producer's review_requested ``fields`` and ``attachments``: each field name and
    attachment id with its label."""
    labels = {str(name): str(field["label"]) for name, field in (form_fields or {}).items()
              if isinstance(field, dict) and field.get("label")}
    labels.update({str(a["id"]): str(a["label"]) for a in attachments or []
                   if a.get("id") and a.get("label")})
    return labels


def labelled_items(items: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Correction items by what people read (法定代表人, 营业执照), not review's keys
    (``enterprise.legal_representative``, an attachment id); an unknown key stays as it is."""
    return [{**item, "name": labels.get(item["name"], item["name"])} for item in items]


def effects_of_correction(data: dict[str, Any], case: dict[str, Any] | None,
                          email: str | None) -> Effects:
    case_ref = data["case_ref"]
    title = _case_title(case, case_ref)
    labelled = labelled_items(data.get("items") or [], (case or {}).get("labels") or {})
    items = "；".join(f"{item['name']}：{item['reason']}" for item in labelled)
    deadline = data.get("deadline")
    deadline_text = f"，请在 {deadline} 前补正" if deadline else ""
    recipient = Recipient.enterprise(data["enterprise_id"], module_of(case_ref))
    effects = Effects()
    deadline_note = f"请在 {deadline} 前" if deadline else "请及时"
    effects.notes.append(Note(recipient, f"{title}：需要补正",
                              f"审核人员要求补正以下内容，{deadline_note}在待办中修改后重新提交。{items}",
                              case_link(case_ref)))
    effects.todos.append(Todo(
        recipient=recipient, kind="correction", subject_ref=case_ref,
        title=f"补正：{title}", body=f"审核人员要求补正以下内容{deadline_text}。{items}",
        link=case_link(case_ref), due_date=as_date(deadline)))
    if deadline:
        effects.deadlines.append(Deadline("correction", case_ref, recipient, f"补正：{title}",
                                          case_link(case_ref), as_date(deadline)))
    if email:
        effects.mails.append(MailOut(email, f"补正通知：{title}", "correction_requested.txt", {
            "title": title, "items": labelled, "deadline": deadline,
            "link": case_link(case_ref)}))
    return effects


DECISION_LABELS = {"approved": "审核通过", "rejected": "审核不通过"}


def effects_of_decision(data: dict[str, Any], case: dict[str, Any] | None,
                        email: str | None) -> Effects:
    case_ref = data["case_ref"]
    title = _case_title(case, case_ref)
    label = DECISION_LABELS[data["decision"]]
    reason = f"{reason_prefix(data['decision'])}：{data['reason']}。" if data.get("reason") else ""
    effects = Effects(done=[Done(case_ref, MOVED_ON_KINDS, "decided")])
    if case_ref.startswith("identity:"):
        return effects  # a registration decision is told from identity.account_status_changed
    effects.notes.append(Note(Recipient.enterprise(data["enterprise_id"], module_of(case_ref)),
                              f"{title}：{label}", f"您的申请“{title}”{label}。{reason}",
                              case_link(case_ref)))
    effects.rating_for = case_ref
    if email:
        effects.mails.append(MailOut(email, f"审核结果：{title}", "case_decided.txt", {
            "title": title, "label": label, "reason": data.get("reason"), "link": case_link(case_ref),
            "reason_label": reason_prefix(data["decision"])}))
    return effects


def rating_todo(enterprise_id: str, case_ref: str, title: str, token: str) -> Todo:
    return Todo(Recipient.enterprise(enterprise_id, module_of(case_ref)), "rating", case_ref,
                f"好差评：{title}", "您的事项已办结，请对本次服务进行评价（一事一评）。",
                f"/rate/{token}")


# ---- every step of a case is one message to its enterprise (registration cases are told by
# ---- identity's account_status_changed, so they get none here) ------------------------------
def _tells_enterprise(data: dict[str, Any]) -> bool:
    return bool(data.get("enterprise_id")) and not str(data["case_ref"]).startswith("identity:")


def case_note(data: dict[str, Any], title: str, headline: str, body: str) -> Note:
    """The one message a step of a case gives its enterprise (the case's module sees it)."""
    case_ref = data["case_ref"]
    return Note(Recipient.enterprise(data["enterprise_id"], module_of(case_ref)),
                f"{title}：{headline}", body, case_link(case_ref))


LEVEL_LABELS = {"city": "盟市", "province": "自治区", "ministry": "部级"}


def effects_of_step_changed(data: dict[str, Any], case: dict[str, Any] | None = None) -> Effects:
    case_ref = data["case_ref"]
    effects = Effects(done=[Done(case_ref, MOVED_ON_KINDS, "moved_on")])
    if _tells_enterprise(data):
        title = _case_title(case, case_ref)
        step = data.get("step_label") or data.get("step") or ""
        level = LEVEL_LABELS.get(data.get("level") or "", "")
        where = f"{step}（{level}）" if level else step
        effects.notes.append(case_note(data, title, f"已转至{step}",
                                       f"您的申请“{title}”已进入{where}环节，请耐心等待。"))
    return effects


CLOSED_LABELS = {"withdrawn": "已撤回", "terminated": "已终止"}


def effects_of_closed(data: dict[str, Any], case: dict[str, Any] | None = None) -> Effects:
    case_ref = data["case_ref"]
    outcome = data.get("outcome") or "closed"
    effects = Effects(done=[Done(case_ref, (), outcome)])
    if _tells_enterprise(data):
        title = _case_title(case, case_ref)
        label = CLOSED_LABELS.get(outcome, "已结束办理")
        effects.notes.append(case_note(data, title, label, f"您的申请“{title}”{label}，审核部门不再办理。"))
    return effects


def effects_of_resubmission(data: dict[str, Any]) -> Effects:
    """A producer's review_requested: a message that it was received; a revision > 1 is the
    enterprise's correction (or a resubmission after 审核不通过), whose to-do is done."""
    case_ref = data["case_ref"]
    title = data.get("title") or case_ref
    again = int(data.get("revision") or 1) > 1
    effects = Effects(done=[Done(case_ref, CORRECTION_KINDS, "resubmitted")] if again else [])
    if _tells_enterprise(data):
        if again:
            note = case_note(data, title, "已重新提交",
                             f"您的申请“{title}”修改后的材料（第 {data.get('revision')} 版）已提交，"
                             "等待审核部门继续办理。")
        else:
            note = case_note(data, title, "已提交", f"您的申请“{title}”已提交，等待审核部门受理。")
        effects.notes.append(note)
    return effects


def effects_of_accepted(data: dict[str, Any], case: dict[str, Any] | None) -> Effects:
    """受理 (by a reviewer, or by law after 5 working days): the enterprise is told from when the
    20-working-day decision clock runs."""
    case_ref = data["case_ref"]
    if not _tells_enterprise(data):
        return Effects()
    title = _case_title(case, case_ref)
    since = data.get("accepted_from")
    since_text = f"，自 {since} 起计算审批时限" if since else ""
    if data.get("deemed"):
        body = (f"您的申请“{title}”在收到材料后5个工作日内未被受理也未被告知补正，"
                f"依《行政许可法》第三十二条视为受理{since_text}。")
        return Effects(notes=[case_note(data, title, "视为受理", body)])
    return Effects(notes=[case_note(data, title, "已受理", f"您的申请“{title}”已受理{since_text}。")])


def effects_of_overdue(data: dict[str, Any], case: dict[str, Any] | None) -> Effects:
    case_ref = data["case_ref"]
    title = _case_title(case, case_ref)
    return Effects(todos=[Todo(
        Recipient.reviewer_desk(data["level"], data["desk_region"]), "overdue", case_ref,
        f"超期：{title}", f"该事项已超过法定办理期限（{data['due_date']}），请尽快办理。",
        f"/review/cases/{data['case_id']}", due_date=as_date(data["due_date"]))])


def effects_of_self_inspection(data: dict[str, Any]) -> Effects:
    return Effects(todos=[Todo(
        Recipient.enterprise(data["enterprise_id"], "permits"), "self_inspection",
        f"review:self_inspection:{data['target_id']}", f"自查：{data['title']}",
        f"请在 {data['deadline']} 前完成自查并提交。", f"/self-inspections/{data['target_id']}",
        due_date=as_date(data["deadline"]))])


PROVINCE_LEVEL = "province"


def province_of(region_code: str | None) -> str:
    """The province (自治区) division of a region code: its first two digits + 0000."""
    return (region_code or "150000")[:2] + "0000"


def effects_of_change_requested(data: dict[str, Any]) -> Effects:
    # People read the fields' names (the event's labels), never their keys; an older event
    # without labels says 登记事项.
    labels = data.get("labels") or {}
    named = [labels[k] for k in sorted(data.get("changes") or {}) if labels.get(k)]
    fields_text = "、".join(named) or "登记事项"
    name = data.get("enterprise_name") or data["uscc"]
    return Effects(todos=[Todo(
        Recipient.reviewer_desk(PROVINCE_LEVEL, province_of(data.get("region_code"))), "change_review",
        f"enterprise:change:{data['change_request_id']}", f"变更审核：{name}",
        f"{name} 申请变更：{fields_text}。", "/review/cases")])


def effects_of_profile_submitted(data: dict[str, Any]) -> Effects:
    return Effects(notes=[Note(Recipient.enterprise(data["enterprise_id"]), "企业信息已提交",
                               f"{data['name']} 的企业信息已提交，等待审核。", "/account")])


def effects_of_licence_issued(data: dict[str, Any], email: str | None) -> Effects:
    effects = Effects(notes=[Note(
        Recipient.enterprise(data["enterprise_id"], "permits"), f"证书已核发：{data['number']}",
        f"证书 {data['number']} 已核发，有效期至 {data['valid_until']}。", "/permits/licences")])
    effects.agency.append(("licence.issued", {**data, "status": data.get("status") or "valid"}))
    return effects


LICENCE_STATUS_AGENCY = {"valid": "licence.changed", "replaced": "licence.changed",
                         "suspended": "licence.suspended", "revoked": "licence.revoked",
                         "cancelled": "licence.cancelled"}
LICENCE_STATUS_LABELS = {"valid": "已变更", "replaced": "已换证", "suspended": "已暂扣", "revoked": "已吊销",
                         "cancelled": "已注销"}


def expiry_status(licence_status: str) -> str:
    """A licence or certificate is reminded while valid; any other status ends its reminders."""
    return "active" if licence_status in ("valid", "active") else licence_status


def effects_of_licence_status(data: dict[str, Any]) -> Effects:
    status = data["status"]
    effects = Effects()
    label = LICENCE_STATUS_LABELS.get(status)
    if label:
        effects.notes.append(Note(Recipient.enterprise(data["enterprise_id"], "permits"),
                                  f"许可证{label}：{data['number']}",
                                  f"许可证 {data['number']} {label}。", "/permits/licences"))
    if status in LICENCE_STATUS_AGENCY:
        effects.agency.append((LICENCE_STATUS_AGENCY[status], data))
    return effects


def effects_of_licence_at_risk(data: dict[str, Any]) -> Effects:
    """permits flagged a licence whose standards the records no longer meet (or cleared it)."""
    number = data["number"]
    if data["at_risk"]:
        title = f"许可证存在风险：{number}"
        body = (f"许可证 {number} 的资质标准已不再全部符合，请及时补充或更新企业信息。"
                f"{data.get('reason') or ''}")
    else:
        title, body = f"许可证风险已解除：{number}", f"许可证 {number} 的资质标准已重新全部符合。"
    return Effects(notes=[Note(Recipient.enterprise(data["enterprise_id"], "permits"), title, body,
                               "/permits/licences")])


def effects_of_transfer_requested(data: dict[str, Any]) -> Effects:
    """A to-do for the enterprise that decides (personnel names it; older events: the releasing one)."""
    deciding = data.get("awaiting_enterprise_id") or data["from_enterprise_id"]
    incoming = str(deciding) == str(data["to_enterprise_id"])
    title = "人员调入确认" if incoming else "人员调出确认"
    body = (f"{data['holder_name']} 的证书申请调入本单位，请接收或退回。" if incoming
            else f"{data['holder_name']} 的证书申请调出，请确认。")
    return Effects(todos=[Todo(
        Recipient.enterprise(deciding, "personnel"), "transfer",
        f"personnel:transfer:{data['transfer_id']}", f"{title}：{data['holder_name']}", body,
        "/personnel/transfers")])


def effects_of_materials_owed(data: dict[str, Any]) -> Effects:
    recipient = Recipient.enterprise(data["enterprise_id"], "permits")
    names = "、".join(item["name"] for item in data.get("items") or [])
    link = case_link(data["case_ref"]) if data.get("case_ref") else "/permits"
    subject = data.get("case_ref") or f"permits:application:{data['application_id']}"
    due = as_date(data["due_date"])
    return Effects(
        todos=[Todo(recipient, "materials", subject, "容缺材料待补交",
                    f"请在 {due} 前补交：{names}。", link, due_date=due)],
        deadlines=[Deadline("materials", subject, recipient, "容缺材料待补交", link, due)])


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
