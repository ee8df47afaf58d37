"""MITRE ATLAS as a framework record, read from ATLAS's published data file (``dist/ATLAS.yaml`` of
the mitre-atlas/atlas-data repository).

Only facts are taken: each tactic, technique and sub-technique's id, name, maturity, tactics,
ATT&CK counterpart, dates and web address. ATLAS's descriptions are not copied; a provision's text
states those facts in a fixed sentence of our own. The outline: tactics at level 1 in the matrix's
order, each technique under the first tactic it lists (a technique serving several tactics names
them all in its text), sub-techniques under their technique.

``record(atlas, base)`` gives the framework in the record-file form (docs/data-format.md), ready
for the importer, so an ATLAS import goes through the same checks, revisions and change log as any
other import; ``differences`` says what a new release changes in the stored provisions.
"""

import datetime
import re

import yaml

from portal.text import anchor

WEB = "https://atlas.mitre.org"
TACTIC_ID = re.compile(r"^AML\.TA\d{4}$")
TECHNIQUE_ID = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")
MATURITIES = {"feasible", "demonstrated", "realized"}
#: A release has a few hundred objects; a file far larger than that is not an ATLAS data file.
MAX_BYTES = 20 * 2**20


class AtlasError(ValueError):
    """A data file that is not ATLAS's, with what is wrong, for people."""


def _date(value, where):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise AtlasError(f"{where}: the date {value!r} is not YYYY-MM-DD") from None


def read(path):
    """The facts of an ATLAS data file: ``{"version", "tactics": [...], "techniques": [...]}``,
    each object with ``id``, ``name``, dates and, for techniques, ``maturity``, ``tactics`` and
    ``parent``. ``AtlasError`` says what is wrong with a file that is not one."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise AtlasError(f"{path}: cannot be read ({error.strerror})") from None
    if len(data) > MAX_BYTES:
        raise AtlasError(f"{path}: larger than {MAX_BYTES // 2**20} MB; this is not an ATLAS data file")
    try:
        atlas = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise AtlasError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(atlas, dict) or atlas.get("id") != "ATLAS" or not isinstance(atlas.get("matrices"), list):
        raise AtlasError(f"{path}: not an ATLAS data file (no 'id: ATLAS' with 'matrices' at the top)")
    matrix = next((m for m in atlas["matrices"] if isinstance(m, dict) and m.get("id") == "ATLAS"), None)
    if matrix is None:
        raise AtlasError(f"{path}: has no matrix with the id ATLAS")
    tactics, techniques, seen = [], [], set()
    for i, item in enumerate(matrix.get("tactics") or []):
        tactics.append(_object(item, f"tactics[{i}]", TACTIC_ID, seen))
    tactic_ids = {tactic["id"] for tactic in tactics}
    for i, item in enumerate(matrix.get("techniques") or []):
        where = f"techniques[{i}]"
        technique = _object(item, where, TECHNIQUE_ID, seen)
        technique["maturity"] = item.get("maturity") or ""
        if technique["maturity"] and technique["maturity"] not in MATURITIES:
            raise AtlasError(f"{where} ({technique['id']}): unknown maturity {technique['maturity']!r}")
        technique["parent"] = item.get("subtechnique-of") or ""
        technique["tactics"] = list(item.get("tactics") or [])
        unknown = [t for t in technique["tactics"] if t not in tactic_ids]
        if unknown:
            raise AtlasError(f"{where} ({technique['id']}): names unknown tactics {', '.join(map(str, unknown))}")
        if technique["parent"]:
            if not technique["id"].startswith(technique["parent"] + "."):
                raise AtlasError(f"{where}: {technique['id']} cannot be a sub-technique of {technique['parent']}")
        elif not technique["tactics"]:
            raise AtlasError(f"{where} ({technique['id']}): a technique must name at least one tactic")
        techniques.append(technique)
    ids = {technique["id"] for technique in techniques}
    for technique in techniques:
        if technique["parent"] and technique["parent"] not in ids:
            raise AtlasError(f"{technique['id']}: its technique {technique['parent']} is not in the file")
    if not tactics or not techniques:
        raise AtlasError(f"{path}: the ATLAS matrix has no tactics or no techniques")
    return {"version": str(atlas.get("version") or ""), "tactics": tactics, "techniques": techniques}


def _object(item, where, pattern, seen):
    if not isinstance(item, dict):
        raise AtlasError(f"{where}: not a mapping")
    ident, name = str(item.get("id") or ""), str(item.get("name") or "").strip()
    if not pattern.match(ident):
        raise AtlasError(f"{where}: {ident!r} is not an ATLAS id of this kind")
    if ident in seen:
        raise AtlasError(f"{where}: {ident} appears twice")
    seen.add(ident)
    if not name or len(name) > 500:
        raise AtlasError(f"{where} ({ident}): needs a name of at most 500 characters")
    attack = item.get("ATT&CK-reference") or {}
    return {
        "id": ident,
        "name": name,
        "attack": str(attack.get("id") or "") if isinstance(attack, dict) else "",
        "created": _date(item.get("created_date"), f"{where} ({ident})") if item.get("created_date") else None,
        "modified": _date(item.get("modified_date"), f"{where} ({ident})") if item.get("modified_date") else None,
    }


def _dates(obj):
    parts = []
    if obj["created"]:
        parts.append(f"added to ATLAS on {obj['created'].isoformat()}")
    if obj["modified"]:
        parts.append(f"last modified on {obj['modified'].isoformat()}")
    return ", ".join(parts)


def _tactic_text(tactic):
    text = f"ATLAS tactic {tactic['id']}"
    if tactic["attack"]:
        text += f", counterpart of ATT&CK {tactic['attack']}"
    dates = _dates(tactic)
    return f"{text}{'; ' + dates if dates else ''}. {WEB}/tactics/{tactic['id']}"


def _technique_text(technique, tactic_names):
    kind = "sub-technique" if technique["parent"] else "technique"
    text = f"ATLAS {kind} {technique['id']}"
    if technique["maturity"]:
        text += f" (maturity: {technique['maturity']})"
    if technique["tactics"]:
        named = ", ".join(f"{tactic_names[t]} ({t})" for t in technique["tactics"])
        text += f"; tactic{'s' if len(technique['tactics']) > 1 else ''}: {named}"
    if technique["attack"]:
        text += f"; counterpart of ATT&CK {technique['attack']}"
    dates = _dates(technique)
    return f"{text}{'; ' + dates if dates else ''}. {WEB}/techniques/{technique['id']}"


def provisions(atlas):
    """The outline of ``atlas`` (from ``read``) as the record file's provisions."""
    names = {tactic["id"]: tactic["name"] for tactic in atlas["tactics"]}
    children = {}
    for technique in atlas["techniques"]:
        children.setdefault(technique["parent"] or technique["tactics"][0], []).append(technique)
    outline = []

    def add(technique, level):
        outline.append(
            {
                "level": level,
                "type": "technique",
                "code": technique["id"],
                "title": technique["name"],
                "text": _technique_text(technique, names),
            }
        )
        for sub in children.get(technique["id"], []):
            add(sub, level + 1)

    for tactic in atlas["tactics"]:
        outline.append(
            {"level": 1, "type": "tactic", "code": tactic["id"], "title": tactic["name"], "text": _tactic_text(tactic)}
        )
        for technique in children.get(tactic["id"], []):
            add(technique, 2)
    return outline


def newest_date(atlas):
    dates = [obj["modified"] or obj["created"] for obj in atlas["tactics"] + atlas["techniques"]]
    return max((d for d in dates if d), default=None)


NEW_RECORD = {
    "kind": "framework",
    "slug": "mitre-atlas",
    "title": "MITRE ATLAS: Adversarial Threat Landscape for Artificial-Intelligence Systems",
    "summary": "A public knowledge base, modelled on MITRE ATT&CK, of the tactics and techniques adversaries use "
    "against AI-enabled systems, drawn from real attacks and red-team demonstrations. Imported from ATLAS's "
    "published data file: each tactic, technique and sub-technique with its ATLAS id, maturity and dates.",
    "organisations": ["mitre"],
    "jurisdictions": ["INT"],
    "source_url": WEB + "/",
    "published": True,
    "sharing": {"level": "TLP:CLEAR"},
    "framework": {"issuing_body": "mitre", "status": "in_force", "legal_effect": "voluntary"},
}


def record(atlas, base=None):
    """The ATLAS framework record for ``atlas``: ``base`` (the stored record in file form, from
    ``record_to_dict``) with its provisions, version and date replaced, or a new record."""
    result = dict(base or NEW_RECORD)
    fields = dict(result.get("framework") or {})
    fields["provisions"] = provisions(atlas)
    fields["version"] = f"ATLAS {atlas['version']}" if atlas["version"] else fields.get("version", "")
    result["framework"] = fields
    newest = newest_date(atlas)
    if newest:
        result["publication_date"] = newest.isoformat()
    return result


def differences(stored, wanted):
    """What replacing the provisions ``stored`` with ``wanted`` (both file-form lists) changes, as
    lines for people: added, removed, renamed, moved and otherwise changed codes."""
    before = {anchor(p["code"]): p for p in stored}
    after = {anchor(p["code"]): p for p in wanted}
    lines = []
    for key, p in after.items():
        old = before.get(key)
        if old is None:
            lines.append(f"added    {p['code']} {p['title']}")
        elif old["title"] != p["title"]:
            lines.append(f"renamed  {p['code']} {old['title']!r} → {p['title']!r}")
        elif (old.get("text") or "") != (p.get("text") or "") or old.get("level") != p.get("level"):
            lines.append(f"changed  {p['code']} {p['title']}")
    for key, p in before.items():
        if key not in after:
            lines.append(f"removed  {p['code']} {p['title']}")
    return lines
