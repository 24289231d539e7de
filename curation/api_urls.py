"""Addresses of the curation API, mounted under ``/api/`` before the public read API."""

from django.urls import path

from . import api
from .workflow import TRANSITIONS

app_name = "curation_api"
urlpatterns = [
    *[
        path(f"interactions/<int:pk>/{action}/", api.transition_view(action), name=f"interaction_{action}")
        for action in TRANSITIONS
    ],
    path("interactions/<int:pk>/curation/", api.StateView.as_view(), name="interaction_curation"),
    path("interactions/<int:pk>/comments/", api.CommentsView.as_view(), name="interaction_comments"),
    path("interactions/<int:pk>/events/", api.EventsView.as_view(), name="interaction_events"),
    # Under curation/: a POST to interactions/ would take the address of the public list.
    path("curation/interactions/", api.EntriesView.as_view(), name="entries"),
    path("interactions/<int:pk>/mode/", api.ModeView.as_view(), name="interaction_mode"),
    path("curation/reports/", api.ReportsView.as_view(), name="reports"),
    path("curation/reports/<int:pk>/flag/", api.FlagReportView.as_view(), name="report_flag"),
    path("curation/reports/<int:pk>/dismiss/", api.DismissReportView.as_view(), name="report_dismiss"),
]
