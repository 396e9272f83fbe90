"""人员管理: people and their certificates, declarations (申报) per certificate type and operation
(the catalogue's menus: CIP 二级建造师 / 安管人员, TSA, REG, PFL), 申报列表 (待上报 / 已上报 ×
单个 / 批次) with batch actions and a result per item, the commitment letter whose clock the
server keeps, tracking and 审核历史 (review's case_history), printable application tables,
transfers (调出 / 调入, TSA consent), a person's own pages (/personal), 人员到期预警, 注册人员查询
with Excel download, 申辩; JSON API under /api/v1/personnel. The personnel service re-checks
every actor (docs/contracts.md, Personnel): these views are the first door.

The area's modules: ``routes`` (the URL rules), ``openapi`` (the API's operations for the OpenAPI
document), ``apischemas`` (their bodies), ``common`` (constants, form helpers and
``PersonnelBase``, the helpers every part uses), the pages ``people`` (people, records, a type's
operations, starting a declaration), ``declarations`` (one declaration, 申报列表, batches, commitment
letter), ``registry`` (transfers, persons' requests, 到期预警, 注册人员查询, 申辩), ``personal`` (a person's
own pages), and ``api`` (the JSON API). ``PersonnelViews`` combines them for GatewayApp.
"""

from gateway.views.personnel import openapi, routes
from gateway.views.personnel.api import PersonnelApi
from gateway.views.personnel.declarations import PersonnelDeclarationPages
from gateway.views.personnel.people import PersonnelPeoplePages
from gateway.views.personnel.personal import PersonalPages
from gateway.views.personnel.registry import PersonnelRegistryPages


class PersonnelViews(PersonnelPeoplePages, PersonnelDeclarationPages, PersonnelRegistryPages,
                     PersonalPages, PersonnelApi):
    """人员管理 as one view mixin of GatewayApp (gateway/views/__init__.py)."""

    ROUTES = routes.ROUTES
    OPENAPI_OPERATIONS = openapi.OPERATIONS
