"""资质许可: 资质申报 (type, kind, category + grade, explained pre-check), the application wizard
(申报表, signed scan, materials, preview, 承诺书 with its countdown, submit), 申报批次, 我的资质,
我的证书, the credit register (admins) and the public licence verify page; JSON API under
/api/v1/permits. The permits service re-checks every actor: these views are the first door.

The area's modules: ``routes`` (the URL rules), ``openapi`` (the API's operations for the OpenAPI
document), ``apischemas`` (their bodies), ``common`` (action tables, helpers and ``PermitsBase``),
``pages`` (the pages) and ``api`` (the JSON API). ``PermitsViews`` combines them for GatewayApp.
"""

from gateway.views.permits import openapi, routes
from gateway.views.permits.api import PermitsApi
from gateway.views.permits.pages import PermitsPages


class PermitsViews(PermitsPages, PermitsApi):
    """资质许可 as one view mixin of GatewayApp (gateway/views/__init__.py)."""

    ROUTES = routes.ROUTES
    OPENAPI_OPERATIONS = openapi.OPERATIONS
