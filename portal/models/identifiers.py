"""Identifiers a record has elsewhere (DOI, arXiv, CELEX…)."""

import re

from django.core.exceptions import ValidationError
from django.db import models

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")


def validate_doi(value):
    if not DOI_PATTERN.match(value):
        raise ValidationError(
            "This is not a DOI. A DOI starts with '10.', then a registrant number, a slash and a suffix, "
            "e.g. 10.6028/NIST.AI.100-1 (without 'https://doi.org/')."
        )


class ExternalIdentifier(Orderable):
    """An identifier the record has elsewhere: a DOI, an arXiv id, a CELEX number…"""

    SCHEMES = [
        ("doi", "DOI"),
        ("arxiv", "arXiv"),
        ("celex", "CELEX (EU law)"),
        ("iso", "ISO/IEC reference"),
        ("aiid", "AI Incident Database incident"),
        ("isbn", "ISBN"),
        ("other", "Other"),
    ]
    record = ParentalKey("portal.RecordPage", on_delete=models.CASCADE, related_name="external_ids")
    scheme = models.CharField(max_length=20, choices=SCHEMES, help_text="What kind of identifier this is.")
    value = models.CharField(max_length=300, help_text="The identifier itself, e.g. 10.6028/NIST.AI.100-1.")

    panels = [FieldPanel("scheme"), FieldPanel("value")]

    def clean(self):
        super().clean()
        if self.scheme == "doi":
            try:
                validate_doi(self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from error

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.value}"
