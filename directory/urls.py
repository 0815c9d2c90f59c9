from django.urls import path
from django.views.generic import TemplateView

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("browse/", views.browse, name="browse"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("for/<slug:slug>/", views.audience_detail, name="audience"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path(
        "about/",
        TemplateView.as_view(template_name="pages/about.html", extra_context={"nav": "about"}),
        name="about",
    ),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("resources/<slug:slug>/report/", views.report_problem, name="report_problem"),
    path("suggest/", views.suggest, name="suggest"),
    path("feedback/thanks/", views.feedback_thanks, name="feedback_thanks"),
]
