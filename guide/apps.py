from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "guide"
    verbose_name = "Ally guide"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the guide's seeded fields with the directory's seed
        # machinery, so that curator_edited_fields() works for guide records
        # wherever it is called (the admin shows it).
        from guide import seed  # noqa: F401
