"""What the database already holds, for the references the files do not define themselves."""

import uuid as uuid_lib

from django.contrib.auth import get_user_model

from portal.models import TERMS_BY_RELATION, RecordPage


class DatabaseIndex:
    def term(self, relation, key):
        """The stored term of ``relation`` (e.g. 'topics') with this slug or code, or None."""
        term = TERMS_BY_RELATION[relation]
        return term.model.objects.filter(**{term.key: key}).first()

    def record(self, kind, slug):
        model = RecordPage.kind_models().get(kind)
        return model.objects.filter(slug=slug).first() if model else None

    def record_by_uuid(self, value):
        try:
            key = uuid_lib.UUID(str(value))
        except ValueError:
            return None
        page = RecordPage.objects.filter(translation_key=key).first()
        return page.specific if page else None

    def users(self, usernames):
        User = get_user_model()
        return list(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames}))
