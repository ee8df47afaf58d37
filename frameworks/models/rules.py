"""The rules a framework's history must keep, on plain values, so that the admin's form and the
record files' checks apply the same ones (``FrameworkPageForm``, ``frameworks/exchange.py``).

Each problem is ``(section, index, field, message)``: section is 'versions', 'provisions' or
'changes', index the position in that list, field the key the message is about."""

import re

from portal.text import anchor, as_date

VERSION_KEY = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
#: The dates of a version, in the order they must come in (each optional).
VERSION_DATES = ("adopted", "published", "in_force", "applies_from")
#: Every date field of a version (the file, the API and the form read them as dates).
VERSION_DATE_FIELDS = frozenset((*VERSION_DATES, "withdrawn"))
VERSION_KINDS = ("original", "edition", "consolidated", "amendment", "corrigendum")
CHANGES = ("introduced", "amended", "renumbered", "repealed", "withdrawn")


def _label(name):
    return name.replace("_", " ")


def _date(value):
    try:
        return as_date(value)
    except ValueError:
        return None  # reported as a bad date by the caller's own date check


def history_problems(versions, provisions, changes):
    """Problems of a framework's ``versions``, ``provisions`` and ``changes`` (lists of dicts, in
    order; provisions need 'code', 'applies_from' and 'applies_until')."""
    problems = []

    def add(section, index, field, message):
        problems.append((section, index, field, message))

    keys, previous = {}, None
    for i, version in enumerate(versions):
        key = str(version.get("key") or "")
        if not VERSION_KEY.match(key):
            add("versions", i, "key", "use lower-case letters, digits, '-' and '.', e.g. reg-2024-1689")
        elif key in keys:
            add("versions", i, "key", f"the key '{key}' is already used by version {keys[key] + 1}")
        else:
            keys[key] = i
        dated = [(name, _date(version.get(name))) for name in VERSION_DATES]
        dated = [(name, day) for name, day in dated if day]
        for (early_name, early), (late_name, late) in zip(dated, dated[1:], strict=False):
            if late < early:
                add("versions", i, late_name, f"{_label(late_name)} {late} is before {_label(early_name)} {early}")
        withdrawn = _date(version.get("withdrawn"))
        if withdrawn and dated and withdrawn < dated[0][1]:
            add("versions", i, "withdrawn", f"withdrawn {withdrawn} is before {_label(dated[0][0])} {dated[0][1]}")
        first = dated[0][1] if dated else None
        if first and previous and first < previous[1]:
            what = "this amendment" if version.get("kind") == "amendment" else "this version"
            add(
                "versions",
                i,
                dated[0][0],
                f"{what} is dated {first}, before the version it follows ('{previous[0]}', {previous[1]}): "
                "list versions oldest first",
            )
        if first:
            previous = (key, first)
    codes = {}
    for i, provision in enumerate(provisions):
        codes.setdefault(anchor(provision.get("code") or ""), provision.get("code"))
        start, end = _date(provision.get("applies_from")), _date(provision.get("applies_until"))
        if start and end and end < start:
            add("provisions", i, "applies_until", f"applies until {end} is before applies from {start}")
    old_codes = {}
    for i, change in enumerate(changes):
        kind, code, old = change.get("change"), str(change.get("code") or ""), str(change.get("old_code") or "")
        if change.get("version") not in keys:
            add("changes", i, "version", f"there is no version '{change.get('version')}' in this framework")
        if anchor(code) not in codes:
            add("changes", i, "code", f"there is no provision '{code}' in this framework")
        if kind not in CHANGES:
            add("changes", i, "change", f"'{kind}' is not one of {', '.join(CHANGES)}")
        if kind == "renumbered":
            if not old:
                add("changes", i, "old_code", "a renumbering needs the code the provision had before")
            elif anchor(old) in codes:
                add(
                    "changes", i, "old_code", f"the old code '{old}' collides with the provision '{codes[anchor(old)]}'"
                )
            elif anchor(old) in old_codes and old_codes[anchor(old)] != anchor(code):
                add("changes", i, "old_code", f"the old code '{old}' is already renumbered to another provision")
            else:
                old_codes[anchor(old)] = anchor(code)
        elif old:
            add("changes", i, "old_code", "only a renumbering has an old code")
    return problems
