"""The expected access table of tests/integration/test_access_matrix.py: route groups (by path),
what each caller gets in each group, and per-route overrides.

A cell's answer is a status as a string, or "login" (a page's 303 to the login page). A caller
who passes the access decision meets a random id (404) or an empty body (422 / 400), or a list
(200): ``ON`` is "through the decision". Refusals are 403 (or 404 where a service hides that
the row exists: a file of someone else's). Anonymous: 401 on the API, "login" on pages.
"""

from __future__ import annotations

import re
import uuid

# Callers (columns). "sub" is a sub-account of the enterprise without the route's module (one
# sub-account per module, holding another one); for routes of no module, the one without permits.
CALLERS = ("anonymous", "other_enterprise", "sub", "person", "reviewer_other_region",
           "reviewer_region", "admin")
SUB_ACCOUNTS = {"enterprise": "personnel", "permits": "enterprise", "personnel": "permits"}
STAFF = {  # caller: (kind, level, region); the test enterprises are in 呼和浩特市 (150105)
    "reviewer_other_region": ("reviewer", "city", "150200"),
    "reviewer_region": ("reviewer", "city", "150100"),
    "admin": ("admin", None, None),
}

ON = frozenset({"200", "201", "303", "400", "404", "409", "422"})  # through the access decision
OK = frozenset({"200"})
DENY = frozenset({"403"})
HIDDEN = frozenset({"403", "404"})  # refused, or not told that the row exists
LOGIN = frozenset({"login"})
API_LOGIN = frozenset({"401"})

# Groups: the first pattern that matches a route's rule decides its group (and its module).
# group: (module or None, {caller: expected}); a caller not named gets the group's "*".
GROUPS: dict[str, tuple[str | None, dict[str, frozenset[str]]]] = {}
PATTERNS: list[tuple[str, str]] = []


def group(name: str, module: str | None, patterns: list[str], **expected: frozenset[str]) -> None:
    GROUPS[name] = (module, expected)
    PATTERNS.extend((pattern, name) for pattern in patterns)


PUBLIC = frozenset({"200", "201", "202", "303", "400", "404", "409", "422"})  # no account needed
ID = "[^/]+"
STAFF_ON = {"reviewer_other_region": ON, "reviewer_region": ON, "admin": ON}

group("public", None, [
    "/", "/register", "/healthz", "/static/.*", "/api/openapi.json", "/api/v1/accounts", "/login",
    "/verify-email", "/password/forgot", "/password/reset", "/register/person",
    "/api/v1/accounts/person", "/api/v1/session/totp", "/api/v1/password/(forgot|reset)",
    f"/verify/{ID}", f"/api/v1/verify/{ID}", f"/rate/{ID}", "/api/v1/ratings/<token>", "/logout",
    "/notices", f"/notices/{ID}", "/guides", f"/guides/{ID}",  # 通知公告, 办事指南: everyone reads
], **{"*": PUBLIC})
group("totp_step", None, ["/login/totp"], **{"*": LOGIN})  # without a password first: back to 登录
group("files", None, [  # a file: its owner and the case's desks; everybody else 404 (or 403)
    "/files/enterprise/.*", "/permits/files/.*", "/api/v1/permits/attachments/.*", "/personnel/files/.*",
    "/api/v1/personnel/attachments/.*", "/review/attachments/.*", "/api/v1/review/attachments/.*",
    f"/documents/{ID}/{ID}",
], **{"*": HIDDEN, "anonymous": LOGIN})
group("any_account", None, [  # whoever is signed in, about their own account, messages, to-dos
    "/account", "/verify-email/resend", "/password/change", "/account/security", "/messages", "/todos",
    f"/todos/{ID}", "/api/v1/session", "/api/v1/messages", "/api/v1/notify/counts", "/api/v1/todos",
    f"/api/v1/todos/{ID}", "/api/v1/password/change", "/api/v1/uploads",
], **{"*": ON, "anonymous": LOGIN})
group("enterprise_main", "enterprise", [  # 账号管理 and 前往修改: the enterprise's main account only
    "/account/users", f"/account/users/{ID}", "/api/v1/sub-accounts", f"/api/v1/sub-accounts/{ID}",
    "/account/resubmit",
], **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON})
group("personal", None, [  # 个人空间: persons only
    "/personal", "/personal/.*", "/api/v1/personnel/me/.*",
], **{"*": DENY, "anonymous": LOGIN, "person": ON})
group("admin", None, [  # admins only
    "/admin/staff", "/api/v1/staff-accounts", "/admin/campaigns", "/api/v1/review/campaigns",
    "/admin/dead-letters", f"/todos/{ID}/done", "/admin/notices", f"/admin/notices/{ID}/withdraw",
    "/admin/legacy-import", f"/admin/imports/{ID}/{ID}(/report)?",
    f"/api/v1/admin/imports/{ID}(/{ID}(/report)?)?",
    "/admin/catalogue(/.*)?", "/api/v1/admin/catalogue(/.*)?",  # 业务目录维护
], **{"*": DENY, "anonymous": LOGIN, "admin": ON})
group("desk", None, [  # a desk's queue and its case operations: reviewers (an admin only with a desk)
    "/review/cases", f"/review/cases/{ID}/<any.*>",
    "/api/v1/review/cases",
    f"/api/v1/review/cases/{ID}/(claim|release|assign|actions|extension|rectification)",
], **{"*": DENY, "anonymous": LOGIN, "reviewer_other_region": ON, "reviewer_region": ON})
group("staff_reads_enterprise", None, [  # reviewers only through a case about the enterprise
    f"/api/v1/enterprises/{ID}(/.*)?",
], **{"*": DENY, "anonymous": LOGIN, "reviewer_other_region": HIDDEN, "reviewer_region": HIDDEN,
      "admin": ON})
group("staff", None, [  # reviewers and admins
    "/review/.*", "/api/v1/review/(batch|workload|dashboard|delegations)(/.*)?", f"/api/v1/review/cases/{ID}",
    "/ratings/.*",
    "/api/v1/ratings/stats", "/admin/licences", "/admin/safety-records",
    "/admin/credit", "/api/v1/permits/credit",
    "/api/v1/permits/safety-records",  # reading: reviewers and admins; recording (POST): admins
    "/admin/exam-passes",  # search: reviewers and admins; the import (POST) is for admins
    f"/admin/accounts/{ID}/reset-password", "/personnel/appeals/raise", f"/personnel/appeals/{ID}/close",
    f"/api/v1/personnel/appeals/{ID}/close",
], **{"*": DENY, "anonymous": LOGIN, **STAFF_ON})
group("personnel_shared", "personnel", [  # the enterprise's own rows; staff by region / case
    "/personnel/registered(/export|/export-job)?", "/api/v1/personnel/registered(/export)?",
    f"/personnel/exports/{ID}(/download)?", "/personnel/appeals",
    "/api/v1/personnel/appeals", f"/personnel/declarations/{ID}/(history|print)",
    f"/api/v1/personnel/(certificates|declarations)/{ID}", "/api/v1/personnel/catalogue",
], **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON, **STAFF_ON})
group("case_history", None, [  # 审核进度's history of one case: the owner, and staff by the case rule
    "/cases/<path:case_key>/history", "/api/v1/review/my-cases/<path:case_key>/history",
], **{"*": ON, "anonymous": LOGIN, "person": DENY})
group("enterprise_side", None, [  # the enterprise's own cases (审核进度), rectifications, self-inspections
    "/cases", "/applications", "/rectifications", "/rectifications/.*", "/self-inspections/.*",
    "/api/v1/review/(my-cases|todos|rectifications|self-inspections)(/.*)?",
], **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON, "sub": ON})
group("directory", None, ["/api/v1/organisations"],  # 单位 search (transfers, declarations)
      **{"*": ON, "anonymous": LOGIN, "person": DENY})
# which lanes (容缺, 自贸区) this enterprise may use: the enterprise's own credit, permits module
group("lanes", "permits", [f"/api/v1/permits/catalogue/{ID}/lanes"],
      **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON})
group("catalogue", None, ["/api/v1/permits/catalogue(/.*)?"], **{"*": ON, "anonymous": LOGIN})
group("enterprise", "enterprise", [
    "/enterprise(/.*)?", "/api/v1/enterprise(/.*)?", "/register/enterprise",
], **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON})
group("permits", "permits", ["/permits(/.*)?", "/api/v1/permits/.*", "/api/v1/modules/.*"],
      **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON})
group("personnel", "personnel", ["/personnel(/.*)?", "/api/v1/personnel/.*"],
      **{"*": DENY, "anonymous": LOGIN, "other_enterprise": ON})


def group_of(rule: str) -> str | None:
    for pattern, name in PATTERNS:
        if re.fullmatch(pattern, rule):
            return name
    return None


def module_of(rule: str) -> str:
    name = group_of(rule)
    module = GROUPS[name][0] if name else None
    return module or "permits"


# An admin without a desk has no queue and cannot claim, but may release, assign and open cases
# (review.release: "admins release anyone's claim"); act / extend / resolve then need a claim.
OVERRIDES: dict[tuple[str, str], frozenset[str]] = {
    (f"/api/v1/review/cases/<case_id>/{op}", "admin"): ON
    for op in ("release", "assign", "actions", "extension", "rectification")
} | {("/logout", "anonymous"): LOGIN} | {
    # Known gap (docs/security.md): the register's export runs in personnel's render pool, and
    # a cold or busy worker can outlast the gateway's RPC timeout (503). A 503 comes only after
    # the gateway let the caller through; the callers it refuses still get 403.
    (rule, caller): ON | {"503"}
    for rule in ("/personnel/registered/export", "/api/v1/personnel/registered/export")
    for caller in ("other_enterprise", "reviewer_other_region", "reviewer_region", "admin")
}


def expected(rule: str, caller: str, method: str = "GET") -> frozenset[str]:
    api = rule.startswith("/api/")
    if (rule, caller) in OVERRIDES:
        found = OVERRIDES[(rule, caller)]
    elif (name := group_of(rule)) is None:
        return frozenset()
    else:
        table = GROUPS[name][1]
        found = table.get(caller, table.get("*", frozenset()))
    if found is LOGIN and api:
        return API_LOGIN
    if found is LOGIN and method != "GET":
        # A form post without a session has no CSRF token: the gateway's one CSRF check, before
        # any view, refuses it (403) before a view could send the caller to 登录.
        return DENY
    return found


# Logging out would end the caller's session mid-matrix: only anonymous asks it (303 to 登录).
SKIPPED: set[tuple[str, str]] = {("/logout", caller) for caller in CALLERS if caller != "anonymous"}


def skip(rule: str, caller: str) -> bool:
    return (rule, caller) in SKIPPED or (rule, "*") in SKIPPED


_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
RANDOM = str(uuid.uuid4())
SAMPLES = {"filename": "app.css", "module": "permits", "source": "permits",
           "case_key": f"permits:application:{RANDOM}"}


def sample_path(rule: str) -> str:
    """The rule with every variable filled: the first choice of an ``any``, a large number for an
    ``int``, known values for a few names, a random UUID for the rest (ids nobody owns)."""
    def value(match: re.Match) -> str:
        converter, arguments, name = match.groups()
        if converter == "any":
            return arguments.split(",")[0].strip().strip("'\"")
        if converter == "int":
            return "987654321"
        return SAMPLES.get(name, RANDOM)
    return _ARG.sub(value, rule) + QUERIES.get(rule, "")


# The whole register's export grows with the test database run after run: the matrix asks for a
# name nobody has, so the export itself is small (the access decision is the same).
QUERIES = {rule: "?name=矩阵无此人"
           for rule in ("/personnel/registered/export", "/api/v1/personnel/registered/export",
                        "/personnel/registered/export-job")}
