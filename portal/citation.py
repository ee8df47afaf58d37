"""“Cite this”: a finding or a framework as BibTeX, RIS and CSL-JSON.

The three formats say the same thing about a record; only the vocabulary differs:

=====================  ==================================  ==========  ===============
record                 BibTeX                              RIS         CSL-JSON
=====================  ==================================  ==========  ===============
finding with a venue   ``@article`` (``journal``)          ``JOUR``    article-journal
finding, no venue      ``@misc``                           ``GEN``     article
voluntary framework    ``@techreport`` (``institution``)   ``RPRT``    report
binding framework      ``@misc`` (``organization``)        ``LEGAL``   legislation
=====================  ==================================  ==========  ===============

Authors are a finding's people (``FindingPage.author_list``), or failing that its publishing
organisations; a framework's author is its issuing body (or its publishing organisations), as a
corporate name. Text stays in Unicode (the files are UTF-8); BibTeX's special characters are
escaped. The citation key is made from the first author, the year and the first significant
word of the title (``yong2023lowresource``), so it stays the same from one download to the next.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field

#: The kinds of record that can be cited.
CITABLE_KINDS = ("finding", "framework")

#: form -> (BibTeX entry type, RIS type, CSL type)
FORMS = {
    "journal": ("article", "JOUR", "article-journal"),
    "paper": ("misc", "GEN", "article"),
    "report": ("techreport", "RPRT", "report"),
    "legislation": ("misc", "LEGAL", "legislation"),
}

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "from", "by", "at", "is"}


class NotCitable(ValueError):
    """The record is of a kind that has no citation (a lesson)."""


@dataclass(frozen=True)
class Citation:
    """What every format needs to know about one record."""

    key: str
    form: str
    title: str
    people: list = field(default_factory=list)
    bodies: list = field(default_factory=list)
    container: str = ""
    publisher: str = ""
    date: object = None
    version: str = ""
    doi: str = ""
    url: str = ""
    abstract: str = ""
    keywords: list = field(default_factory=list)


def citation_of(record, url=None):
    """The facts to cite ``record`` (a specific finding or framework page) by.

    ``url`` is the record's page on the portal, used when the source has no web address or DOI."""
    kind = record.kind
    if kind not in CITABLE_KINDS:
        raise NotCitable(f"A {kind} cannot be cited.")
    organisations = list(record.organisations.all())
    doi = getattr(record, "doi", "") or next(
        (identifier.value for identifier in record.external_ids.all() if identifier.scheme == "doi"), ""
    )
    if kind == "finding":
        people = record.author_list
        bodies = [] if people else [org.name for org in organisations]
        key_source = split_name(people[0])[0] if people else _short_name(organisations[:1])
        form = "journal" if record.venue else "paper"
        container, version = record.venue, ""
        publisher = "; ".join(org.name for org in organisations)
    else:
        issuers = [record.issuing_body] if record.issuing_body else organisations
        people, bodies = [], [org.name for org in issuers]
        key_source = _short_name(issuers[:1])
        form = "legislation" if record.legal_effect == "binding" else "report"
        container, version = "", record.version
        publisher = "; ".join(bodies)
    return Citation(
        key=citation_key(key_source, record.publication_date, record.title, record.uuid),
        form=form,
        title=record.title,
        people=people,
        bodies=bodies,
        container=container,
        publisher=publisher,
        date=record.publication_date,
        version=version,
        doi=doi,
        url=record.source_url or (f"https://doi.org/{doi}" if doi else "") or (url or ""),
        abstract=record.summary,
        keywords=sorted(topic.name for topic in record.topics.all()),
    )


def _short_name(organisations):
    """An organisation's acronym, or the first word of its name, for a citation key."""
    if not organisations:
        return ""
    return organisations[0].acronym or organisations[0].name.split()[0]


def _ascii_word(text):
    """Lower-case ASCII letters and digits only: 'Müller' -> 'muller', 'Low-Resource' -> 'lowresource'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def citation_key(author, date, title, uuid):
    """``<first author><year><first significant title word>``, e.g. ``yong2023lowresource``."""
    author_part = _ascii_word(author)
    words = (_ascii_word(word) for word in title.split())
    word_part = next((word for word in words if word and word not in STOPWORDS and word != author_part), "")
    year = date.year if date else ""
    return f"{author_part or 'anon'}{year}{word_part or str(uuid).split('-')[0]}"


def split_name(name):
    """(family, given) of a person's name as the source writes it: 'Family, Given' or
    'Given Family'. A single word is a family name with no given name."""
    name = " ".join(name.split())
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return family, given
    if " " in name:
        given, family = name.rsplit(" ", 1)
        return family, given
    return name, ""


# BibTeX


_BIBTEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


def bibtex_escape(text):
    """``text`` with BibTeX's (and LaTeX's) special characters escaped; whitespace collapsed."""
    return " ".join(str(text).split()).translate(_BIBTEX_ESCAPES)


def _bibtex_title(title):
    """Escaped title with words that carry capitals past their first letter ('GPT-4', '(EU)')
    braced, so that bibliography styles that lower-case titles leave them alone."""
    words = []
    for word in title.split():
        escaped = bibtex_escape(word)
        letters = [c for c in word if c.isalpha()]
        words.append(f"{{{escaped}}}" if any(c.isupper() for c in letters[1:]) else escaped)
    return " ".join(words)


def _bibtex_person(name):
    escaped = bibtex_escape(name)
    # 'and' separates names in BibTeX: a name that contains the word is kept whole.
    return f"{{{escaped}}}" if re.search(r"\band\b", name, re.IGNORECASE) else escaped


def _bibtex_verbatim(value):
    """URLs and DOIs are verbatim fields: no escaping, but braces would unbalance the entry."""
    return value.replace("{", "%7B").replace("}", "%7D")


def bibtex(record, url=None):
    """The record as one BibTeX entry (a string ending with a newline)."""
    c = citation_of(record, url)
    authors = [_bibtex_person(name) for name in c.people] + [f"{{{bibtex_escape(body)}}}" for body in c.bodies]
    fields = [("author", " and ".join(authors)), ("title", _bibtex_title(c.title))]
    if c.form == "journal":
        fields.append(("journal", bibtex_escape(c.container)))
    elif c.form == "report":
        fields += [("institution", bibtex_escape(c.publisher)), ("type", "Framework")]
    elif c.form == "legislation":
        fields.append(("organization", bibtex_escape(c.publisher)))
    if c.date:
        fields.append(("year", str(c.date.year)))
    if c.version:
        fields.append(("note", f"Version {bibtex_escape(c.version)}"))
    fields += [("doi", _bibtex_verbatim(c.doi)), ("url", _bibtex_verbatim(c.url))]
    lines = [f"@{FORMS[c.form][0]}{{{c.key},"]
    for name, value in fields:
        if value:
            lines.append(f"  {name} = {{{value}}},")
        if name == "year":
            # Months are predefined macros, written without braces.
            lines.append(f"  month = {MONTHS[c.date.month - 1]},")
    lines.append("}")
    return "\n".join(lines) + "\n"


# RIS


def _ris_line(tag, value):
    return f"{tag}  - {' '.join(str(value).split())}"


def ris(record, url=None):
    """The record as one RIS reference (CRLF line ends, as the format asks)."""
    c = citation_of(record, url)
    lines = [_ris_line("TY", FORMS[c.form][1])]
    lines += [_ris_line("AU", ", ".join(part for part in split_name(name) if part)) for name in c.people]
    lines += [_ris_line("AU", body) for body in c.bodies]
    lines.append(_ris_line("TI", c.title))
    if c.container:
        lines.append(_ris_line("T2", c.container))
    if c.date:
        lines += [_ris_line("PY", c.date.year), _ris_line("DA", c.date.strftime("%Y/%m/%d/"))]
    if c.publisher:
        lines.append(_ris_line("PB", c.publisher))
    if c.version:
        lines.append(_ris_line("ET", c.version))
    if c.doi:
        lines.append(_ris_line("DO", c.doi))
    if c.url:
        lines.append(_ris_line("UR", c.url))
    if c.abstract:
        lines.append(_ris_line("AB", c.abstract))
    lines += [_ris_line("KW", keyword) for keyword in c.keywords]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


# CSL-JSON


def _csl_person(name):
    family, given = split_name(name)
    return {"family": family, "given": given} if given else {"literal": family}


def csl_item(record, url=None):
    """The record as one CSL-JSON item (a dict)."""
    c = citation_of(record, url)
    item = {
        "id": c.key,
        "type": FORMS[c.form][2],
        "title": c.title,
        "author": [_csl_person(name) for name in c.people] + [{"literal": body} for body in c.bodies],
    }
    if c.date:
        item["issued"] = {"date-parts": [[c.date.year, c.date.month, c.date.day]]}
    optional = {
        "container-title": c.container,
        "publisher": c.publisher,
        "authority": c.publisher if c.form == "legislation" else "",
        "version": c.version,
        "DOI": c.doi,
        "URL": c.url,
        "abstract": c.abstract,
        "keyword": ", ".join(c.keywords),
    }
    item.update({name: value for name, value in optional.items() if value})
    return item


def csl_json(record, url=None):
    """The record as CSL-JSON text: a list holding one item, as citation managers import it."""
    return json.dumps([csl_item(record, url)], ensure_ascii=False, indent=2) + "\n"
