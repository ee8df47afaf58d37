# The audit log's new actions: refused API tokens and password resets (requested, completed).
# It restates AuditEntry.action's whole choice list, so it also holds the actions added beside it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_memberships"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Failed sign-in"),
                    ("sign_out", "Signed out"),
                    ("token_created", "Created an API token"),
                    ("token_revoked", "Revoked an API token"),
                    ("token_used", "Used an API token"),
                    ("token_refused", "Refused an API token"),
                    ("password_reset_requested", "Asked for a password reset"),
                    ("password_reset_completed", "Reset a password"),
                    ("sharing_changed", "Changed a record's sharing"),
                    ("export", "Exported records"),
                    ("membership_changed", "Changed an organisation's members"),
                ],
                db_index=True,
                max_length=30,
            ),
        ),
    ]
