from django.contrib.auth import views as auth_views
from django.urls import path

from proteins.api.throttling import limit_password_guesses

from . import views
from .workflow import TRANSITIONS

app_name = "curation"
urlpatterns = [
    path("login/", limit_password_guesses(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("queue/", views.queue, name="queue"),
    path("interaction/new/", views.enter, name="enter"),
    path("interaction/<int:pk>/", views.workspace, name="workspace"),
    path("interaction/<int:pk>/mode/", views.set_mode, name="set_mode"),
    path("interaction/<int:pk>/evidence/", views.edit_evidence, name="edit_evidence"),
    path("interaction/<int:pk>/comment/", views.add_comment, name="add_comment"),
    *[
        path(f"interaction/<int:pk>/{action}/", views.transition, {"action": action}, name=action)
        for action in TRANSITIONS
    ],
    path("source-change/<int:pk>/accept/", views.decide_source_change, {"accept": True}, name="accept_source"),
    path("source-change/<int:pk>/dismiss/", views.decide_source_change, {"accept": False}, name="dismiss_source"),
    path("report/<int:pk>/flag/", views.flag_report, name="flag_report"),
    path("report/<int:pk>/dismiss/", views.dismiss_report, name="dismiss_report"),
]
