"""The page tree every portal needs: a home page with one index page per kind of record."""

from django.apps import apps
from django.db import transaction

from wagtail.models import Page, Site

from portal.models import HomePage, RecordIndexPage

INDEX_TITLES = {"framework": "Frameworks", "finding": "Findings", "lesson": "Lessons"}
INDEX_INTROS = {
    "framework": "Laws, standards and voluntary frameworks for governing AI, with their provisions.",
    "finding": "Results from evaluations, vulnerability research and studies of AI systems.",
    "lesson": "What organisations learned from deploying and operating AI systems.",
}
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
            index = home.add_child(
                instance=model(
                    title=INDEX_TITLES.get(kind, kind.title()),
                    slug=INDEX_TITLES.get(kind, kind).lower(),
                    intro=INDEX_INTROS.get(kind, ""),
                    show_in_menus=True,
                )
            )
        indexes[kind] = index
    return indexes
