"""Pages for taxonomy terms: every topic, sector, jurisdiction, organisation and language."""

from django.conf import settings
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from portal.filters import paginate
from portal.models import TERM_MODELS, RecordPage, Topic
from portal.models.taxonomy import TERMS_BY_RELATION
from portal.services.facets import filter_queryset
from portal.services.search import BROWSE_SORT, SORTS


def _term_model(kind):
    try:
        return TERM_MODELS[kind]
    except KeyError:
        raise Http404 from None


def term_list(request, kind):
    """Every term of one kind with the number of records the visitor may see under it."""
    model = _term_model(kind)
    relation = TERMS_BY_RELATION[kind].relation
    counts = dict(
        RecordPage.objects.visible_to(request.user)
        .filter(**{f"{relation}__isnull": False})
        .order_by()  # no default ordering: it would split the groups
        .values_list(relation)
        .annotate(n=Count("pk", distinct=True))
        .values_list(relation, "n")
    )
    terms = list(model.objects.all())
    for term in terms:
        term.record_count = counts.get(term.pk, 0)
    if model is Topic:
        terms = _as_tree(terms)
    return render(
        request,
        "portal/term_list.html",
        {
            "kind": kind,
            "verbose_name_plural": model._meta.verbose_name_plural,
            "terms": terms,
            "is_tree": model is Topic,
        },
    )


def _as_tree(topics):
    """Topics in depth-first order, each with a ``depth`` attribute for indentation."""
    children = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    ordered = []

    def walk(parent_id, depth):
        for topic in children.get(parent_id, []):
            topic.depth = depth
            ordered.append(topic)
            walk(topic.pk, depth + 1)

    walk(None, 0)
    return ordered


def term_detail(request, kind, slug):
    """One term and the records under it (for a topic: under it or any of its sub-topics)."""
    model = _term_model(kind)
    term = get_object_or_404(model, slug=slug)
    relation = TERMS_BY_RELATION[kind]
    # The records the term's facet selects on the search page (a topic: its sub-topics' too).
    selection = {relation.facet: [getattr(term, relation.key)]}
    records = (
        filter_queryset(RecordPage.objects.visible_to(request.user), selection)
        .select_related("content_type")
        .prefetch_related("organisations")
        .order_by(*SORTS[BROWSE_SORT].fields, "pk")
    )
    context = {
        "term": term,
        "kind": kind,
        "verbose_name": model._meta.verbose_name,
        "records": paginate(request, records, settings.PORTAL_PAGE_SIZE),
        # What a follow of this term is (portal.services.follows): topics, sectors, organisations.
        "follow_subject": {"topics": "topic", "sectors": "sector", "organisations": "organisation"}.get(kind),
    }
    if model is Topic:
        context["subtopics"] = term.children.all()
        context["ancestors"] = _ancestors(term)
    return render(request, "portal/term_detail.html", context)


def _ancestors(topic):
    chain, parent = [], topic.parent
    while parent is not None:
        chain.insert(0, parent)
        parent = parent.parent
    return chain
