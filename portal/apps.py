from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Signal receivers: the audit log records sign-ins and sign-in failures.
        from portal import audit  # noqa: F401

        # Signal receivers: the change log read by the API's change feed.
        from portal import changes  # noqa: F401
