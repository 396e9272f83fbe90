"""The OpenAPI operations of /api/v1/enterprise and /api/v1/organisations (gateway/openapi.py)."""

from __future__ import annotations

from gateway.openapi import Op, path_param, query
from gateway.views.enterprise.apischemas import (
    ChangeRequest,
    Enterprise,
    EnterpriseRecord,
    EnterpriseUpdate,
    OrganisationQuery,
    RecordList,
    SectionQuery,
    Upload,
)

ERRORS = (401, 403, 404, 422)
SECTION = path_param("section", enum=["staff", "projects", "equipment", "shareholders"])
LIST = (SECTION, query(SectionQuery))

OPERATIONS = [
    Op("GET /api/v1/enterprise", "The signed-in enterprise's basic info", result=Enterprise,
       errors=ERRORS),
    Op("PATCH /api/v1/enterprise", "Change directly editable fields (locked ones → 422 locked)",
       body=EnterpriseUpdate, result=Enterprise, errors=ERRORS),
    Op("GET /api/v1/enterprise/summary", "人员汇总, 业绩汇总, equipment and shareholding totals",
       errors=ERRORS),
    Op("GET /api/v1/enterprise/history", "变更记录: who, when, field, old → new", errors=ERRORS),
    Op("GET /api/v1/enterprise/change-requests", "变更申请 of this enterprise", errors=ERRORS),
    Op("POST /api/v1/enterprise/change-requests",
       "File a change request of locked fields (a name change is refused while cases are open)",
       body=ChangeRequest, ok=201, errors=ERRORS),
    Op("POST /api/v1/enterprise/attachments", "Upload a checked attachment (PDF/image by content)",
       body=Upload, ok=201, errors=ERRORS),
    Op("GET /api/v1/enterprise/registration-profile", "Registration step 2: the saved enterprise info",
       result=Enterprise, errors=ERRORS),
    Op("PUT /api/v1/enterprise/registration-profile", "Registration step 2: save a draft (partial allowed)",
       body=EnterpriseUpdate, errors=ERRORS),
    Op("POST /api/v1/enterprise/registration-profile/submit",
       "Registration step 2: submit (complete, both PDFs)", errors=ERRORS),
    Op("GET /api/v1/enterprise/{section}", "List a section (paginated, 查询 with q)", result=RecordList,
       params=LIST, errors=ERRORS),
    Op("POST /api/v1/enterprise/{section}", "Add a record", body=EnterpriseRecord, ok=201,
       params=(SECTION,), errors=ERRORS),
    Op("GET /api/v1/enterprise/{section}/{record_id}", "One record", result=EnterpriseRecord,
       params=(SECTION,), errors=ERRORS),
    Op("PUT /api/v1/enterprise/{section}/{record_id}", "Change a record", body=EnterpriseRecord,
       params=(SECTION,), errors=ERRORS),
    Op("DELETE /api/v1/enterprise/{section}/{record_id}",
       "Delete a record (a licence holder's 技术负责人 / 安全负责人: files a 人员离职申请 for review instead "
       "and answers {pending, approval, case_ref})", params=(SECTION,), errors=ERRORS),
    Op("GET /api/v1/enterprises/{enterprise_id}",
       "An enterprise's basic info (itself, reviewers, admins; audited)", result=Enterprise, errors=ERRORS),
    Op("GET /api/v1/enterprises/{enterprise_id}/{section}",
       "An enterprise's section (itself, reviewers, admins; audited)", result=RecordList, params=LIST,
       errors=ERRORS),
    Op("GET /api/v1/organisations", "上级单位 fuzzy search by name", params=(query(OrganisationQuery),),
       errors=ERRORS),
]
