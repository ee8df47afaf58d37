"""The text search configuration of modelsearch's database backend on PostgreSQL: English stems
(Snowball) with accents folded by the ``unaccent`` extension, so "Tramer" finds "Tramèr" as it
does on the other backends. Nothing happens on other databases."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'portal_english') THEN
        CREATE TEXT SEARCH CONFIGURATION portal_english (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION portal_english
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
    END IF;
END
$$;
"""

DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS portal_english;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0012_search_controls")]

    operations = [migrations.RunPython(create, drop)]
