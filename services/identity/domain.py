"""Identity rules as plain Python: no nameko, no SQLAlchemy."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

import pyotp

from services.common.access import KIND_PERSON, MODULES, READ_ONLY
from services.common.errors import FieldErrors, field_error

# One ID rule (GB 11643 for resident IDs, formats of the others) for the person record in
# personnel and the person account that logs in with the same number.
from services.common.validators import (
    NAME_PATTERN,
    RESIDENT_ID,
    id_number_problem,
    is_email,
    is_mobile,
    normalise_id_number,
    uscc_error,
)

ACCOUNT_PENDING_EMAIL = "pending_email_verification"

USCC_MESSAGES = {
    "length": "统一社会信用代码应为18位",
    "characters": "统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）",
    "check_digit": "统一社会信用代码校验位不正确，请核对",
}
# A short list of the passwords people try first; the length/class rules catch the rest.
COMMON_PASSWORDS = {"password1!", "p@ssw0rd", "p@ssword1", "admin123!", "qwer1234!", "abc123456!",
                    "1qaz@wsx", "1qaz!qaz", "a1234567!", "aa123456!", "passw0rd!"}
PASSWORD_MIN_LENGTH = 8


def normalise_registration(data: dict[str, str]) -> dict[str, str]:
    result = {key: value.strip() if isinstance(value, str) else value
              for key, value in data.items()}
    for field in ("uscc", "contact_name", "contact_mobile", "email"):
        result[field] = result.get(field) or ""
    result["uscc"] = result.get("uscc", "").upper()
    result["email"] = result.get("email", "").lower()
    result["password"] = data.get("password") or ""  # passwords are taken exactly as typed
    result["password_confirm"] = data.get("password_confirm")  # None: the API has no confirm box
    return result


def password_problems(password: str, uscc: str = "", mobile: str = "") -> list[dict[str, str]]:
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(field_error("too_short", f"密码至少{PASSWORD_MIN_LENGTH}位"))
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)
            and re.search(r"[^A-Za-z0-9]", password)):
        problems.append(field_error("weak", "密码须同时包含字母、数字和符号"))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        problems.append(field_error("common", "该密码过于常见，请换一个"))
    if (uscc and uscc.lower() in lowered) or (mobile and mobile in password):
        problems.append(field_error("personal", "密码不能包含统一社会信用代码或手机号"))
    return problems


def registration_errors(data: dict[str, str], taken: set[str]) -> FieldErrors:
    """Every problem with an account registration, per field, in Chinese."""
    errors: FieldErrors = {}

    def add(field: str, code: str, message: str) -> None:
        errors.setdefault(field, []).append(field_error(code, message))

    code = uscc_error(data["uscc"])
    if code:
        add("uscc", code, USCC_MESSAGES[code])
    elif "uscc" in taken:
        add("uscc", "taken", "该统一社会信用代码已注册，请直接登录或找回密码")
    if not 2 <= len(data["contact_name"]) <= 50:
        add("contact_name", "length", "联系人姓名应为2至50个字")
    if not is_mobile(data["contact_mobile"]):
        add("contact_mobile", "invalid", "请输入11位大陆手机号码")
    elif "contact_mobile" in taken:
        add("contact_mobile", "taken", "该手机号已被其他账号使用")
    if not is_email(data["email"]):
        add("email", "invalid", "电子邮箱格式不正确")
    for problem in password_problems(data["password"], data["uscc"], data["contact_mobile"]):
        errors.setdefault("password", []).append(problem)
    if data.get("password_confirm") is not None and data["password_confirm"] != data["password"]:
        add("password_confirm", "mismatch", "两次输入的密码不一致")
    return errors


# ---- person accounts (个人用户) ---------------------------------------------------------------
def normalise_person_registration(data: dict[str, str]) -> dict[str, str]:
    """The person's form as typed, cleaned: the ID number as personnel normalises it (the login)."""
    result = {key: value.strip() if isinstance(value, str) else value
              for key, value in data.items()}
    result["name"] = re.sub(r"\s+", " ", result.get("name") or "")
    result["id_type"] = result.get("id_type") or RESIDENT_ID
    result["id_number"] = normalise_id_number(result["id_type"], result.get("id_number") or "")
    result["mobile"] = result.get("mobile") or ""
    result["email"] = (result.get("email") or "").lower()
    result["password"] = data.get("password") or ""
    result["password_confirm"] = data.get("password_confirm")
    return result


def person_registration_errors(data: dict[str, str], taken: set[str],
                               today: date | None = None) -> FieldErrors:
    """Every problem with a person's account registration, per field, in Chinese.

    ``taken``: which of ``id_number`` / ``mobile`` another account already uses.
    """
    errors: FieldErrors = {}

    def add(field: str, code: str, message: str) -> None:
        errors.setdefault(field, []).append(field_error(code, message))

    if not data["name"]:
        add("name", "required", "请填写姓名")
    elif not NAME_PATTERN.fullmatch(data["name"]):
        add("name", "format", "姓名应为2-40个汉字或字母（少数民族姓名可用“·”）")
    problem = id_number_problem(data["id_type"], data["id_number"], today)
    if problem:
        add("id_type" if problem[0] == "id_type" else "id_number", *problem)
    elif "id_number" in taken:
        add("id_number", "taken", "该证件号码已注册个人账号，请直接登录或找回密码")
    if not is_mobile(data["mobile"]):
        add("mobile", "invalid", "请输入11位大陆手机号码")
    elif "mobile" in taken:
        add("mobile", "taken", "该手机号已被其他账号使用")
    if not is_email(data["email"]):
        add("email", "invalid", "电子邮箱格式不正确")
    for problem_ in password_problems(data["password"], data["id_number"], data["mobile"]):
        errors.setdefault("password", []).append(problem_)
    if data.get("password_confirm") is not None and data["password_confirm"] != data["password"]:
        add("password_confirm", "mismatch", "两次输入的密码不一致")
    return errors


def login_candidates(typed: str) -> list[str]:
    """The logins a typed value may mean, most likely first: USCCs, usernames and ID numbers
    are matched upper-cased (a resident ID's x is X) and as typed; spaces inside an ID number
    are dropped as personnel does. Empty when it cannot be a login (empty or too long)."""
    stripped = typed.strip()
    compact = re.sub(r"\s+", "", stripped)
    candidates: list[str] = []
    for value in (stripped.upper(), stripped, compact.upper(), compact):
        if value and len(value) <= 64 and value not in candidates:
            candidates.append(value)
    return candidates


# ---- account kinds, statuses, permissions ---------------------------------------------------
KIND_ENTERPRISE = "enterprise"  # the enterprise's main (admin) account; login = USCC
KIND_SUB = "sub"  # a sub-account under an enterprise (CIP 子账号); login = username
KIND_REVIEWER = "reviewer"
KIND_ADMIN = "admin"
# KIND_PERSON ("person", from services.common.access): an individual's own account; login = the
# normalised ID number; no registration review.

ACCOUNT_PENDING_REVIEW = "pending_review"
ACCOUNT_REJECTED = "rejected"
ACCOUNT_ACTIVE = "active"
ACCOUNT_DISABLED = "disabled"

STATUS_LABELS = {
    ACCOUNT_PENDING_EMAIL: "待验证邮箱",
    ACCOUNT_PENDING_REVIEW: "待审核",
    ACCOUNT_REJECTED: "审核不通过",
    ACCOUNT_ACTIVE: "正常",
    ACCOUNT_DISABLED: "已停用",
}

LEVELS = {"city": "盟市", "province": "自治区（省级）", "ministry": "部级"}

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9]{6,18}")


def status_after_email_verified(review_required: bool, kind: str = KIND_ENTERPRISE) -> str:
    """Registration review is for enterprises: a person is active once the e-mail is verified."""
    return ACCOUNT_PENDING_REVIEW if review_required and kind != KIND_PERSON else ACCOUNT_ACTIVE


def status_after_profile_submitted(status: str) -> str:
    """Submitting registration step 2 again after 审核不通过 is the resubmission (前往修改)."""
    return ACCOUNT_PENDING_REVIEW if status == ACCOUNT_REJECTED else status


def reset_refusal(staff_kind: str, target_kind: str, same_account: bool) -> str | None:
    """Who may give an account a temporary password (TSA 重置密码): admins any other account;
    reviewers only enterprise accounts and sub-accounts (and then only of an enterprise their
    desk works a case on, which the service asks review); nobody their own (修改密码 is for
    that). None = allowed, else the refusal in Chinese."""
    if same_account:
        return "不能重置本人的密码，请使用“修改密码”"
    if staff_kind == KIND_ADMIN:
        return None
    if staff_kind == KIND_REVIEWER and target_kind in (KIND_ENTERPRISE, KIND_SUB):
        return None
    return "无权重置该账号的密码"


def can_log_in(status: str) -> tuple[bool, str | None]:
    """Whether an account in this status may sign in, and if not, why (in Chinese).

    Pending-review and rejected accounts may sign in (TSA: 登录系统可查看审核状态), but see
    only their status page; a disabled or unverified account may not.
    """
    if status == ACCOUNT_PENDING_EMAIL:
        return False, "请先完成邮箱验证：验证邮件已发送到注册邮箱。"
    if status == ACCOUNT_DISABLED:
        return False, "该账号已停用，请联系管理员。"
    return True, None


def permission_errors(permissions: list[str]) -> list[dict[str, str]]:
    unknown = [p for p in permissions if p not in MODULES and p != READ_ONLY]
    if unknown:
        return [field_error("unknown_module", f"未知的权限模块：{'、'.join(unknown)}")]
    if not [p for p in permissions if p in MODULES]:
        return [field_error("empty", "请至少选择一个模块")]
    return []


def username_error(username: str) -> str | None:
    if not USERNAME_PATTERN.fullmatch(username):
        return "用户名应为6至18位字母或数字"
    return None


def new_login_errors(username: str, contact_name: str, email: str, password: str,
                     username_taken: bool) -> FieldErrors:
    """The checks every username-login account shares (sub-accounts, reviewers, admins)."""
    errors: FieldErrors = {}
    if message := username_error(username):
        errors["username"] = [field_error("invalid", message)]
    elif username_taken:
        errors["username"] = [field_error("taken", "该用户名已被使用")]
    if not 2 <= len(contact_name) <= 50:
        errors["contact_name"] = [field_error("length", "姓名应为2至50个字")]
    if not is_email(email):
        errors["email"] = [field_error("invalid", "电子邮箱格式不正确")]
    if problems := password_problems(password, username):
        errors["password"] = problems
    return errors


# ---- login lockout ----------------------------------------------------------------------------
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
IP_FAILURES = 30  # per IP in the same window: slows a sweep over many accounts


def locked_until(failures: list[datetime], now: datetime) -> datetime | None:
    """5 failures within 15 minutes lock the login for 15 minutes from the 5th failure."""
    recent = sorted(f for f in failures if now - f < LOCKOUT_WINDOW + LOCKOUT_DURATION)
    for index in range(len(recent) - LOCKOUT_FAILURES + 1):
        window = recent[index:index + LOCKOUT_FAILURES]
        if window[-1] - window[0] < LOCKOUT_WINDOW:
            until = window[-1] + LOCKOUT_DURATION
            if until > now:
                return until
    return None


def ip_blocked(failures_from_ip: int, limit: int = IP_FAILURES) -> bool:
    return failures_from_ip >= limit


# ---- single-use tokens (e-mail verification, password reset) -------------------------------
TOKEN_LIFETIMES = {
    "verify_email": timedelta(hours=24),
    "reset_password": timedelta(minutes=30),
}


def new_token() -> tuple[str, str]:
    """(raw token for the link, its SHA-256 for the database)."""
    raw = secrets.token_urlsafe(32)
    return raw, token_digest(raw)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_problem(expires_at: datetime, used_at: datetime | None, now: datetime) -> str | None:
    if used_at is not None:
        return "该链接已使用过，请重新申请。"
    if now >= expires_at:
        return "该链接已过期，请重新申请。"
    return None


# ---- second factor (TOTP, RFC 6238) ----------------------------------------------------------
RECOVERY_CODE_COUNT = 10


def new_recovery_codes() -> list[str]:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(2))
            for _ in range(RECOVERY_CODE_COUNT)]


def normalise_code(code: str) -> str:
    return code.strip().replace(" ", "").upper()


TOTP_DRIFT_STEPS = 1  # accept the previous and next 30-second step: phone clocks drift


def accepted_totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than the last one used.

    Refusing a step at or before ``last_step`` makes every code single-use: a code seen over
    someone's shoulder, or replayed from a captured request, is worthless once it was used.
    """
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# ---- registration review as a review case (features.registration_review) ------------------
REGISTRATION_CASE_TYPE = "identity.registration"
REGISTRATION_CASE_PREFIX = "identity:registration:"
# What a reviewer checks of registration step 2 (the enterprise service's profile view), in order.
PROFILE_FIELDS = (
    ("name", "企业名称"), ("enterprise_type_label", "企业类型"), ("legal_person", "法人名称"),
    ("legal_representative", "法定代表人"), ("registered_address", "注册地址"),
    ("current_address", "经营地址"), ("region_label", "所属地区"), ("contact_name", "联系人"),
    ("contact_phone", "联系电话"), ("email", "电子邮箱"), ("registered_capital_wan", "注册资本（万元）"),
    ("established_on", "成立日期"), ("business_scope", "经营范围"), ("parent_name", "上级单位"),
)
PROFILE_FILES = (("business_licence", "营业执照（副本）"), ("legal_rep_id", "法定代表人身份证"))


def registration_case_ref(account_id: object) -> str:
    return f"{REGISTRATION_CASE_PREFIX}{account_id}"


def registration_account_of(case_ref: str) -> str | None:
    """The account a registration case is about; None for other producers' cases."""
    if not case_ref.startswith(REGISTRATION_CASE_PREFIX):
        return None
    return case_ref[len(REGISTRATION_CASE_PREFIX):] or None


def registration_case_due(kind: str, status: str, profile_submitted_at: datetime | None,
                          case_open: bool, case_profile_at: datetime | None) -> bool:
    """Review gets a (new revision of the) registration case once both steps are done and the
    e-mail is verified; not again while one is open, unless step 2 was submitted again since
    the revision it holds (``case_profile_at``): the reviewer must see what is current."""
    if kind != KIND_ENTERPRISE or status != ACCOUNT_PENDING_REVIEW or profile_submitted_at is None:
        return False
    return not case_open or case_profile_at is None or profile_submitted_at > case_profile_at


def registration_case(account: dict[str, Any], profile: dict[str, Any], revision: int,
                      submitted_at: datetime) -> dict[str, Any]:
    """identity.review_requested data (services/common/contracts/review.py): step 1's account
    and step 2's enterprise information as fields, the two licence scans as attachments."""
    fields = {"uscc": {"label": "统一社会信用代码", "value": account["uscc"]},
              "account_contact": {"label": "账号联系人", "value": account["contact_name"]},
              "account_email": {"label": "账号邮箱", "value": account["email"]}}
    fields.update({key: {"label": label, "value": profile.get(key)} for key, label in PROFILE_FIELDS})
    files = profile.get("files") or {}
    attachments = [{"id": str(files[purpose]["id"]), "label": label, "filename": files[purpose]["filename"],
                    "sha256": files[purpose]["sha256"]}
                   for purpose, label in PROFILE_FILES if purpose in files]
    name = profile.get("name") or account["uscc"]
    return {
        "case_ref": registration_case_ref(account["id"]), "case_type": REGISTRATION_CASE_TYPE,
        "lane": "standard", "enterprise_id": str(account["id"]), "enterprise_name": name,
        "region_code": profile["region_code"], "title": f"企业注册审核：{name}", "revision": revision,
        "time_limit_days": None, "fields": fields, "attachments": attachments,
        "submitted_at": submitted_at,
    }
