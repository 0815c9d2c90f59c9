from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("resources/<slug:slug>/report/", views.report_problem, name="report_problem"),
    path("suggest/", views.suggest, name="suggest"),
    path("feedback/thanks/", views.feedback_thanks, name="feedback_thanks"),
]
