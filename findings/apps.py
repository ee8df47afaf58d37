from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"
    verbose_name = "Findings and lessons"

    def ready(self):
        # What portal needs to know about this app's kinds, registered with it: portal never
        # imports an app.
        from . import api, exchange, stix

        api.register()
        exchange.register()
        stix.register()
