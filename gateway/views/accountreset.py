"""重置密码 for reviewers (TSA): find an enterprise account by its 统一社会信用代码 or username and
reset it; identity decides who may (admins; reviewers for enterprises of their region or of a
case their desk works on), audits both the look-up and the reset, and mails the account a reset
link (nobody sees a password; the account must set a new one). services/identity/usecases/
staff_reset.py."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.views.forms import flash
from services.common.errors import NotFound, ValidationFailed

STAFF = ("reviewer", "admin")
KIND_LABELS = {"enterprise": "企业主账号", "sub": "企业子账号"}
STATUS_LABELS = {"active": "正常", "disabled": "已停用"}


class AccountResetViews:
    ROUTES = [
        Rule("/review/accounts", endpoint="review_accounts", methods=["GET"]),
        Rule("/review/accounts/<account_id>/reset", endpoint="review_account_reset", methods=["POST"]),
    ]

    def on_review_accounts(self, request: Request) -> Response:
        actor = self.require(request, kinds=STAFF)  # type: ignore[attr-defined]
        login = request.args.get("login", "").strip()[:64]
        found: dict[str, Any] | None = None
        errors: dict[str, Any] = {}
        status = 200
        if login:
            try:
                found = self.clients(request).identity.find_enterprise_account(  # type: ignore[attr-defined]
                    actor["id"], login)
            except NotFound as exc:
                errors, status = {"login": [{"code": "not_found", "message": exc.message}]}, 404
            except ValidationFailed as exc:
                errors, status = exc.fields, 422
        return self.render(request, "review_accounts.html", status=status,  # type: ignore[attr-defined]
                           login=login, found=found, errors=errors, kinds=KIND_LABELS, statuses=STATUS_LABELS)

    def on_review_account_reset(self, request: Request, account_id: str) -> Response:
        actor = self.require(request, kinds=STAFF)  # type: ignore[attr-defined]
        result = self.clients(request).identity.staff_reset_password_by_mail(  # type: ignore[attr-defined]
            actor["id"], account_id)
        self.forget_account(account_id)  # type: ignore[attr-defined]
        flash(request, f"已重置账号 {result['login']} 的密码，重置链接已发送至 {result['email']}。"
                       "原密码已失效，该账号须通过邮件中的链接设置新密码后方可登录。")
        return redirect(f"/review/accounts?login={result['login']}", code=303)
