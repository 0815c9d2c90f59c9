from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "guide"
    verbose_name = "Ally guide"
    default_auto_field = "django.db.models.BigAutoField"
