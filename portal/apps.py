from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Signal receivers: the audit log (sign-ins, sign-in failures), the
        # change log read by the API's change feed, the records' stored API representations, and
        # the search index of a published record, the e-mail alerts of follows and the webhooks.
        from portal import audit, changes  # noqa: F401
        from portal.api import receivers  # noqa: F401
        from portal.exchange import search_controls
        from portal.services import alerts, index_updates, webhooks  # noqa: F401

        # The record files' sections of portal's own: synonym groups and promoted results.
        search_controls.register()
