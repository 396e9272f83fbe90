"""Identity rules as plain Python: no nameko, no SQLAlchemy."""

from __future__ import annotations

import re

from services.common.errors import FieldErrors, field_error
from services.common.validators import is_email, is_mobile, uscc_error

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
