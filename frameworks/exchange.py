"""The record files' framework parts: a framework's own fields, its provisions, and crosswalks.

Registered with ``portal.exchange.kinds`` when the app is ready (``apps.py``); the format is
docs/data-format.md.
"""

from portal.exchange import kinds
from portal.exchange.serialize import normalize
from portal.text import anchor, as_date

from .models import Crosswalk, CrosswalkMapping, FrameworkVersion, Provision, ProvisionChange
from .models.crosswalks import OLD_RELATIONS
from .models.rules import VERSION_DATE_FIELDS, history_problems

FRAMEWORK_FIELDS = {
    "issuing_body": "org",
    "version": "text",
    "status": "text",
    "legal_effect": "text",
    "effective_date": "date",
    "end_date": "date",
}


# -- provisions ------------------------------------------------------------------
def provisions_to_file(content):
    return [
        {
            "level": p.level,
            "type": p.provision_type,
            "code": p.code,
            "title": p.title,
            "text": p.text,
            "applies_from": p.applies_from,
            "applies_until": p.applies_until,
        }
        for p in content.provisions.all()
    ]


def provision_codes_in_file(fields):
    return [p.get("code") for p in fields.get("provisions") or [] if isinstance(p, dict)]


def stored_provisions(page):
    return page.provisions.all()


def check_provisions(checker, doc, where, items):
    """Codes are present and unique once anchored; the outline starts at level 1 and descends one
    level at a time."""
    anchors, previous = {}, 0
    for i, provision in enumerate(items):
        if not isinstance(provision, dict):
            continue
        code, level = str(provision.get("code") or ""), provision.get("level", 1)
        here = where + ("provisions", i)
        if not code:
            checker.problem(doc, here + ("code",), "every provision needs a code")
        elif anchor(code) in anchors:
            checker.problem(doc, here + ("code",), f"code '{code}' repeats '{anchors[anchor(code)]}' in this framework")
        else:
            anchors[anchor(code)] = code
        if not isinstance(level, int) or not 1 <= level <= 6:
            checker.problem(doc, here + ("level",), "level must be a whole number from 1 to 6")
        elif level > previous + 1:
            checker.problem(doc, here + ("level",), f"level {level} cannot follow level {previous}")
        else:
            previous = level


def write_provisions(page, items):
    """Make the framework's provisions those of the file, matched by anchored code (so links to
    a provision that stays keep pointing at it)."""
    existing = {anchor(p.code): p for p in Provision.objects.filter(framework=page)}
    for position, item in enumerate(items):
        provision = existing.pop(anchor(item["code"]), None) or Provision(framework=page)
        provision.code = str(item["code"])
        provision.title = item.get("title") or ""
        provision.text = item.get("text") or ""
        provision.level = item.get("level", 1)
        provision.provision_type = item.get("type") or "other"
        provision.applies_from = as_date(item.get("applies_from"))
        provision.applies_until = as_date(item.get("applies_until"))
        provision.sort_order = position
        provision.save()
    for provision in existing.values():
        provision.delete()


def attach_provisions(content, page):
    content.provisions = list(Provision.objects.filter(framework=page).order_by("sort_order"))


# -- history: versions and provision changes ---------------------------------------
VERSION_FIELDS = (
    "key",
    "kind",
    "title",
    "identifier",
    "adopted",
    "published",
    "in_force",
    "applies_from",
    "withdrawn",
    "source_url",
    "note",
)


def versions_to_file(content):
    return [{name: getattr(v, name) for name in VERSION_FIELDS} for v in content.versions.all()]


def attach_versions(content, items):
    content.versions = [
        FrameworkVersion(
            sort_order=position,
            **{
                name: as_date(item.get(name)) if name in VERSION_DATE_FIELDS else (item.get(name) or "")
                for name in VERSION_FIELDS
            },
        )
        for position, item in enumerate(items)
    ]


def changes_to_file(content):
    return [
        {
            "version": c.version,
            "code": c.code,
            "change": c.change,
            "note": c.note,
            "old_code": c.old_code,
            "applies_from": c.applies_from,
        }
        for c in content.provision_changes.all()
    ]


def attach_changes(content, items):
    content.provision_changes = [
        ProvisionChange(
            sort_order=position,
            version=item["version"],
            code=str(item["code"]),
            change=item["change"],
            note=item.get("note") or "",
            old_code=str(item.get("old_code") or ""),
            applies_from=as_date(item.get("applies_from")),
        )
        for position, item in enumerate(items)
    ]


def check_history(checker, doc, where, fields):
    """Version dates are dates; the history keeps ``rules.history_problems``."""
    versions = [v for v in fields.get("versions") or [] if isinstance(v, dict)]
    for i, version in enumerate(versions):
        for name in sorted(VERSION_DATE_FIELDS):
            checker.check_date(doc, where + ("versions", i, name), version.get(name))
    provisions = [p for p in fields.get("provisions") or [] if isinstance(p, dict)]
    changes = [c for c in fields.get("changes") or [] if isinstance(c, dict)]
    for i, change in enumerate(changes):
        checker.check_date(doc, where + ("changes", i, "applies_from"), change.get("applies_from"))
    for section, index, field, message in history_problems(versions, provisions, changes):
        checker.problem(doc, where + (section, index, field), message)


# -- crosswalks ------------------------------------------------------------------
def mapping_from_v1(mapping):
    """A mapping of a ``portal-records/1`` file in the set-theory vocabulary (``OLD_RELATIONS``)."""
    if isinstance(mapping, dict) and mapping.get("relation") in OLD_RELATIONS and "rationale" not in mapping:
        mapping["relation"], mapping["rationale"] = OLD_RELATIONS[mapping["relation"]]


def crosswalk_from_v1(item):
    for mapping in item.get("mappings") or []:
        mapping_from_v1(mapping)


def crosswalk_to_dict(crosswalk):
    return normalize(
        {
            "slug": crosswalk.slug,
            "title": crosswalk.title,
            "source": crosswalk.source_framework.slug,
            "target": crosswalk.target_framework.slug,
            "description": crosswalk.description,
            "source_title": crosswalk.source_title,
            "source_url": crosswalk.source_url,
            "mappings": [
                {
                    "source": m.source_provision.code,
                    "target": m.target_provision.code,
                    "relation": m.relation,
                    "rationale": m.rationale,
                    "strength": m.strength,
                    "note": m.note,
                    "source_ref": m.source,
                }
                for m in crosswalk.mappings.all()
            ],
        }
    )


def stored_crosswalk(slug):
    crosswalk = Crosswalk.objects.filter(slug=slug).first()
    return crosswalk_to_dict(crosswalk) if crosswalk else None


def check_crosswalk(checker, doc, where, crosswalk):
    """Both frameworks exist and differ; every mapping uses codes of its own frameworks, once."""
    source, target = crosswalk.get("source"), crosswalk.get("target")
    for end in ("source", "target"):
        if not checker.record_exists("framework", crosswalk.get(end)):
            checker.problem(doc, where + (end,), f"there is no framework '{crosswalk.get(end)}'")
            return
    if source == target:
        checker.problem(doc, where + ("target",), "a crosswalk maps two different frameworks")
        return
    left, right = checker.provision_codes("framework", source), checker.provision_codes("framework", target)
    seen = set()
    for i, mapping in enumerate(crosswalk.get("mappings") or []):
        if not isinstance(mapping, dict):
            continue
        here = where + ("mappings", i)
        if anchor(mapping.get("source")) not in left:
            checker.problem(doc, here + ("source",), f"framework '{source}' has no provision '{mapping.get('source')}'")
        if anchor(mapping.get("target")) not in right:
            checker.problem(doc, here + ("target",), f"framework '{target}' has no provision '{mapping.get('target')}'")
        pair = (anchor(mapping.get("source")), anchor(mapping.get("target")))
        if pair in seen:
            checker.problem(doc, here, "this mapping is listed twice")
        seen.add(pair)


def save_crosswalk(slug, item, db):
    """Create or update the crosswalk; its mappings are replaced by the file's."""
    source, target = db.record("framework", item["source"]), db.record("framework", item["target"])
    crosswalk = Crosswalk.objects.filter(slug=slug).first() or Crosswalk(slug=slug)
    crosswalk.title = item["title"]
    crosswalk.source_framework, crosswalk.target_framework = source, target
    crosswalk.description = item.get("description") or ""
    crosswalk.source_title = item.get("source_title") or ""
    crosswalk.source_url = item.get("source_url") or ""
    crosswalk.save()
    left = {anchor(p.code): p for p in source.provisions.all()}
    right = {anchor(p.code): p for p in target.provisions.all()}
    CrosswalkMapping.objects.filter(crosswalk=crosswalk).delete()
    for position, mapping in enumerate(item.get("mappings") or []):
        CrosswalkMapping.objects.create(
            crosswalk=crosswalk,
            sort_order=position,
            source_provision=left[anchor(mapping["source"])],
            target_provision=right[anchor(mapping["target"])],
            relation=mapping["relation"],
            rationale=mapping["rationale"],
            strength=mapping.get("strength"),
            note=mapping.get("note") or "",
            source=mapping.get("source_ref") or "",
        )


def export_crosswalks(pages):
    """The crosswalks whose two frameworks are both among the exported pages, by slug."""
    exported = {page.pk for page in pages if page.record_kind == "framework"}
    return [
        crosswalk_to_dict(c)
        for c in Crosswalk.objects.order_by("slug")
        if c.source_framework_id in exported and c.target_framework_id in exported
    ]


def register():
    kinds.register(
        kinds.ExchangeKind(
            kind="framework",
            plural="frameworks",
            fields=FRAMEWORK_FIELDS,
            date_order=(("effective_date", "end_date"),),
            check=check_history,
            provisions=kinds.Provisions(
                to_file=provisions_to_file,
                codes_in_file=provision_codes_in_file,
                stored=stored_provisions,
                check=check_provisions,
                write=write_provisions,
                attach=attach_provisions,
            ),
            parts=(
                kinds.Part("versions", to_file=versions_to_file, attach=attach_versions, before_provisions=True),
                kinds.Part("changes", to_file=changes_to_file, attach=attach_changes),
            ),
            index_title="Frameworks",
            index_intro="Laws, standards and voluntary frameworks for governing AI, with their provisions.",
        )
    )
    kinds.register_section(
        kinds.ExchangeSection(
            name="crosswalks",
            label="crosswalk",
            check=check_crosswalk,
            stored=stored_crosswalk,
            save=save_crosswalk,
            export=export_crosswalks,
            from_v1=crosswalk_from_v1,
        )
    )
