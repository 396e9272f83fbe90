"""The gateway's views, one mixin per area; GatewayApp (gateway/app.py) combines them.

A new area is one module here with a mixin class that has ``ROUTES`` (Werkzeug rules whose
endpoint ``x`` is served by the method ``on_x``); add the class to ``VIEW_CLASSES``.
"""

from gateway.views.account import AccountViews
from gateway.views.accountreset import AccountResetViews
from gateway.views.catalogue_admin import CatalogueAdminViews
from gateway.views.dashboards import DashboardViews
from gateway.views.documents import DocumentViews
from gateway.views.enterprise import EnterpriseViews
from gateway.views.exports import ExportViews
from gateway.views.home import HomeViews
from gateway.views.imports import ImportViews
from gateway.views.management import ManagementViews
from gateway.views.notices import NoticeGuideViews
from gateway.views.notify import NotifyViews
from gateway.views.permits import PermitsViews
from gateway.views.personnel import PersonnelViews
from gateway.views.public import PublicViews
from gateway.views.ratingmenu import RatingMenuViews
from gateway.views.review import ReviewViews
from gateway.views.safety_records import SafetyRecordViews
from gateway.views.seedscreens import SeedScreenViews
from gateway.views.uploads import UploadViews

VIEW_CLASSES: tuple[type, ...] = (NotifyViews, PublicViews, AccountViews, ManagementViews, EnterpriseViews,
                                   ReviewViews, PermitsViews, PersonnelViews, ExportViews, DocumentViews,
                                   HomeViews, DashboardViews, SafetyRecordViews, UploadViews, ImportViews,
                                   SeedScreenViews, RatingMenuViews, AccountResetViews, NoticeGuideViews,
                                   CatalogueAdminViews)
