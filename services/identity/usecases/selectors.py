"""identity's reads: the session account, an account, sub-accounts, staff, a desk's reviewers."""

from __future__ import annotations

from services.common import jurisdiction
from services.common.errors import Forbidden
from services.identity import domain
from services.identity.schemas import AccountSchema, DeskStaffSchema, SessionAccountSchema
from services.identity.usecases._support import Deps, _get, _require_enterprise_admin, _session_view


def session_account(deps: Deps, account_id: str) -> dict:
    """The gateway re-reads this to end sessions of disabled accounts (session_epoch)."""
    with deps.begin() as uow:
        return _session_view(_get(uow, account_id))


def list_sub_accounts(deps: Deps, actor_id: str) -> list[dict]:
    with deps.begin() as uow:
        owner = _require_enterprise_admin(uow, actor_id)
        return SessionAccountSchema(many=True).dump(uow.accounts.sub_accounts(owner.id))


def list_staff_accounts(deps: Deps, actor_id: str) -> list[dict]:
    with deps.begin() as uow:
        if _get(uow, actor_id).kind != domain.KIND_ADMIN:
            raise Forbidden("只有管理员可以查看")
        return SessionAccountSchema(many=True).dump(uow.accounts.staff())


def desk_staff(deps: Deps, actor_id: str) -> list[dict]:
    """The enabled reviewers (and desk-bound admins) at the asking reviewer's desk: the 分配
    picker on a case page (review.assign accepts only these). Empty without a desk."""
    with deps.begin() as uow:
        me = _get(uow, actor_id)
        desk = jurisdiction.desk_of(SessionAccountSchema().dump(me))
        if me.kind not in ("reviewer", "admin") or desk is None:
            return []
        return DeskStaffSchema(many=True).dump(
            [a for a in uow.accounts.staff()
             if a.status != "disabled" and jurisdiction.desk(a.level, a.region_code) == desk])


def get_account(deps: Deps, account_id: str) -> dict:
    with deps.begin() as uow:
        return AccountSchema().dump(_get(uow, account_id))
