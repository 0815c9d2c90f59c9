from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from config.api_cache import watch_connection
        from directory import search
        from directory.roles import sync_roles_after_migrate

        search.connect_signals()
        # Any write to the directory's or the guide's tables makes cached API
        # responses stale (see config.api_cache).
        connection_created.connect(watch_connection, dispatch_uid="ally-api-cache-watch")
        # Runs after auth's own post_migrate handler has created the permissions.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="directory.sync_roles")
