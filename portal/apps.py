from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Signal receivers: the audit log (sign-ins, sign-in failures), the
        # change log read by the API's change feed, and the records' stored API representations.
        from portal import audit, changes  # noqa: F401
        from portal.api import receivers  # noqa: F401
