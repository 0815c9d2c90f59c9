from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
]
