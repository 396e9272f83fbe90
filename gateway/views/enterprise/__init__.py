"""企业空间 > 企业信息 (basic info, rosters, projects, equipment, shareholding, change requests),
registration step 2 (/register/enterprise), attachment downloads and the JSON API.

Every call passes the actor dict; the enterprise service re-checks it (the gateway's module
check is the first door). Enterprise-side actors only ever name their own enterprise here.

The area's modules: ``routes`` (the URL rules), ``openapi`` (the API's operations for the OpenAPI
document), ``apischemas`` (their bodies), ``common`` (sections, form helpers and
``EnterpriseBase``), ``pages`` (the pages) and ``api`` (the JSON API). ``EnterpriseViews``
combines them for GatewayApp.
"""

from gateway.views.enterprise import openapi, routes
from gateway.views.enterprise.api import EnterpriseApi
from gateway.views.enterprise.pages import EnterprisePages


class EnterpriseViews(EnterprisePages, EnterpriseApi):
    """企业信息 as one view mixin of GatewayApp (gateway/views/__init__.py)."""

    ROUTES = routes.ROUTES
    OPENAPI_OPERATIONS = openapi.OPERATIONS
