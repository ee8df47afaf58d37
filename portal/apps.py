from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Signal receivers: the audit log (sign-ins, sign-in failures) and the
        # change log read by the API's change feed.
        from portal import audit, changes  # noqa: F401
