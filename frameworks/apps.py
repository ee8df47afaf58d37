from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "frameworks"
    verbose_name = "Frameworks"

    def ready(self):
        # What portal needs to know about this app's kinds, registered with it: portal never
        # imports an app.
        from . import api, exchange, search, stix

        api.register()
        exchange.register()
        search.register()
        stix.register()
