"""Findings and lessons in STIX 2.1, registered with ``portal.api.stix`` (``apps.py``).

A finding or a lesson is a ``report`` (made by ``portal.api.stix``) whose description carries the
kind's own fields. Besides it: a ``vulnerability`` per CVE or GitHub advisory the record names,
and for a finding of type vulnerability that names none, one for the finding itself; an
``attack-pattern`` per MITRE ATLAS technique it names (never one of our own making); for a
lesson, a ``course-of-action`` per recommendation, which ``mitigates`` each of those
vulnerabilities and attack patterns. STIX has no relationship from a course of action to a
report, so a lesson's recommendations with nothing to mitigate stand alone in the report.
"""

from portal.api import stix
from portal.api.stix import KindObjects


def _section(label, text):
    return f"{label}: {text}" if text else ""


def finding(record):
    data = record.data["finding"]
    found = stix.vulnerabilities(record)
    if data["finding_type"] == "vulnerability" and not found:
        found.append(
            record.sdo(
                "vulnerability",
                "finding",
                name=record.data["title"],
                description=record.data["summary"],
                external_references=record.references(),
            )
        )
    patterns = stix.attack_patterns(record)
    description = [
        _section("Finding type", data["finding_type_label"]),
        _section("Status", data["status_label"]),
        _section("Evidence strength", data["evidence_strength_label"]),
        _section("Severity", data["severity_label"]),
        _section("Methodology", data["methodology"]),
        _section("Systems examined", "; ".join(data["systems_examined"])),
        _section("Authors", "; ".join(data["authors"])),
        _section("Venue", data["venue"]),
    ]
    report_types = (("vulnerability",) if found else ()) + (("attack-pattern",) if patterns else ())
    return KindObjects(
        objects=[*found, *patterns],
        description=description,
        report_types=report_types,
        references=stix.tactic_references(record),
    )


def lesson(record):
    data = record.data["lesson"]
    found = stix.vulnerabilities(record)
    patterns = stix.attack_patterns(record)
    courses, relationships = [], []
    for position, text in enumerate(data["recommendations"], start=1):
        course = record.sdo("course-of-action", str(position), name=text[:250], description=text)
        courses.append(course)
        relationships += [
            record.relationship("mitigates", course["id"], target["id"]) for target in [*found, *patterns]
        ]
    when = data["event_date"] or ""
    if when and data["event_end_date"]:
        when = f"{when} to {data['event_end_date']}"
    description = [
        _section("When", when),
        _section("Context", data["context"]),
        _section("What happened", data["what_happened"]),
        _section("Impact", data["impact"]),
        _section("What worked", data["what_worked"]),
        _section("What did not work", data["what_did_not_work"]),
        _section("Recommendations", "; ".join(data["recommendations"])),
    ]
    report_types = (("vulnerability",) if found else ()) + (("attack-pattern",) if patterns else ())
    return KindObjects(
        objects=[*found, *patterns, *courses, *relationships],
        description=description,
        report_types=report_types,
        references=stix.tactic_references(record),
    )


def register():
    stix.register("finding", finding)
    stix.register("lesson", lesson)
