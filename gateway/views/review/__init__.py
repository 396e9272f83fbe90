"""审核工作台 (reviewer console) and the enterprise's side of review: queue, case, opinions,
corrections, workload, delegation, self-inspection campaigns, printable 审核历史; JSON API.

The area's modules: ``routes`` (the URL rules), ``openapi`` (the API's operations for the OpenAPI
document), ``apischemas`` (their bodies), ``common`` (choices, messages, form helpers and
``ReviewBase``), ``pages`` (the pages) and ``api`` (the JSON API). ``ReviewViews`` combines them
for GatewayApp.
"""

from gateway.views.review import openapi, routes
from gateway.views.review.api import ReviewApi
from gateway.views.review.pages import ReviewPages


class ReviewViews(ReviewPages, ReviewApi):
    """审核 as one view mixin of GatewayApp (gateway/views/__init__.py)."""

    ROUTES = routes.ROUTES
    OPENAPI_OPERATIONS = openapi.OPERATIONS
