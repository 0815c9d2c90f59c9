from django.urls import path

from guide import views

app_name = "guide"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:guide>/", views.guide_detail, name="guide"),
    path("<slug:guide>/print/", views.guide_print, name="print"),
    path("<slug:guide>/references/", views.references, name="references"),
    path("<slug:guide>/<slug:section>/", views.section_detail, name="section"),
    path("<slug:guide>/<slug:section>/feedback/", views.section_feedback, name="feedback"),
]
