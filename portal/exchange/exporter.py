"""Writing records out as files, deterministically: the same data gives the same bytes."""

from pathlib import Path

import yaml

from portal.exchange import FORMAT
from portal.exchange import kinds as exchange_kinds
from portal.exchange.serialize import TAXONOMY_LAYOUT, in_layout, record_to_dict, term_to_dict
from portal.models import RecordPage, Topic


class _Dumper(yaml.SafeDumper):
    """Block-style YAML; long text as folded literal blocks so diffs stay readable."""


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data):
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def select_records(kinds=None, topics=None, levels=None):
    """Every record (drafts included), optionally only some kinds, topics (with sub-topics) or
    sharing levels."""
    records = []
    for kind, model in sorted(RecordPage.kind_models().items()):
        if kinds and kind not in kinds:
            continue
        queryset = model.objects.all().order_by("slug")
        if topics:
            ids = Topic.descendant_ids(Topic.objects.filter(slug__in=topics).values_list("pk", flat=True))
            queryset = queryset.filter(topics__in=ids).distinct()
        if levels:
            queryset = queryset.filter(sharing_level__in=levels)
        records.extend(queryset)
    return records


def export(outdir, kinds=None, topics=None, levels=None):
    """Write taxonomy, records and the apps' sections (crosswalks) under ``outdir``. Returns the
    files written."""
    out = Path(outdir)
    written = []

    def write(relative, data):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump({"format": FORMAT, **data}), encoding="utf-8")
        written.append(path)

    taxonomy = {}
    for relation in in_layout(TAXONOMY_LAYOUT):
        terms = relation.model.objects.select_related().order_by(relation.key)
        taxonomy[relation.relation] = [term_to_dict(term, relation.relation) for term in terms]
    write("taxonomy.yaml", taxonomy)

    records = select_records(kinds, topics=topics, levels=levels)
    for page in records:
        content = page if page.live or not page.latest_revision_id else page.get_latest_revision_as_object()
        folder = exchange_kinds.get(page.record_kind).plural
        write(f"{folder}/{page.slug}.yaml", {"records": [record_to_dict(page, content)]})

    for name, section in exchange_kinds.sections().items():
        items = section.export(records)
        if items:
            write(f"{name}.yaml", {name: items})
    return written
