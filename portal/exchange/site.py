"""The page tree every portal needs: a home page with one index page per kind of record."""

from django.apps import apps
from django.db import transaction

from modelsearch.tasks import insert_or_update_object_task
from wagtail.models import Page, Site

from portal.exchange import kinds
from portal.models import HomePage, RecordIndexPage

HOME_INTRO = (
    "<p>A shared library for governments, infrastructure operators and AI providers: governance "
    "frameworks, research findings and operational lessons, linked to each other so that each "
    "safeguard can be traced to the evidence behind it.</p>"
)


def index_page_models():
    """{kind: index page model}, e.g. {'finding': FindingIndexPage}."""
    return {
        model.listed_kind: model
        for model in apps.get_models()
        if issubclass(model, RecordIndexPage) and model.listed_kind
    }


@transaction.atomic
def ensure_site_structure():
    """Create the home page and the index pages if missing; leave existing pages alone.

    Returns {kind: index page}. Replaces Wagtail's placeholder welcome page on a new install.
    """
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="AI Safety Governance Portal", slug="portal", intro=HOME_INTRO))
        # The root comes from Wagtail's migrations, saved without signals, so it was never indexed
        # (search_index_drift reported it missing after every new install).
        insert_or_update_object_task.enqueue("wagtailcore", "page", str(root.pk))
        site = Site.objects.filter(is_default_site=True).first()
        old_root = site.root_page if site else None
        if site:
            site.root_page = home
            site.site_name = "AI Safety Governance Portal"
            site.save()
        else:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name="AI Safety Governance Portal",
            )
        if old_root is not None and old_root.specific_class is Page and not old_root.get_children().exists():
            old_root.delete()
    indexes = {}
    for kind, model in index_page_models().items():
        index = model.objects.child_of(home).first()
        if index is None:
            exchange = kinds.registered().get(kind)
            title = exchange.index_title if exchange and exchange.index_title else None
            index = home.add_child(
                instance=model(
                    title=title or kind.title(),
                    slug=(title or kind).lower(),
                    intro=exchange.index_intro if exchange else "",
                    show_in_menus=True,
                )
            )
        indexes[kind] = index
    return indexes
