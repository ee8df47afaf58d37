"""The admin form of every record: sharing checks, the people picker and link targets."""

from django import forms
from django.apps import apps
from django.db.models import Q

from wagtail.admin.forms import WagtailAdminPageForm

from .sharing import Membership, organisation_ids, sharing_state, stored_sharing, widenings


def child_forms(form, relation):
    """The valid, not-deleted inline forms of ``relation`` in a cluster form.

    A cluster form cleans itself before its inline formsets, so a check across the inline forms
    (duplicates, ordering) first validates the formset here; errors added to a child form then
    make the whole form invalid as usual."""
    formset = form.formsets.get(relation)
    if formset is None:
        return []
    formset.is_valid()
    return [f for f in formset.forms if f.is_valid() and not f.cleaned_data.get("DELETE")]


def choose_only(field, queryset):
    """Narrow a chooser field to ``queryset``: any other id is refused as one that does not exist,
    and the form shown again with the error does not name what that id points at (a chooser
    widget looks its value up by id alone)."""
    field.queryset = queryset
    widget = field.widget
    look_up = widget.get_instance

    def get_instance(value):
        instance = look_up(value)
        return instance if instance is not None and queryset.filter(pk=instance.pk).exists() else None

    widget.get_instance = get_instance


class RecordPageForm(WagtailAdminPageForm):
    """Checks that need the whole page form: cross-links against each other, and a confirmation
    before a record is shared with a wider audience."""

    confirm_wider_sharing = forms.BooleanField(
        required=False,
        label="Confirm wider sharing",
        help_text="Tick to confirm a change that lets more people see the record: a wider sharing level "
        "(e.g. from TLP:AMBER to TLP:GREEN), another organisation, a person named on a TLP:RED record, "
        "or another or no owning organisation. The change is recorded in the audit log.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None or user.is_superuser:
            return
        mine = set(organisation_ids(user))
        if "owning_organisation" in self.fields:
            field = self.fields["owning_organisation"]
            field.queryset = field.queryset.filter(pk__in=mine)
            if not self.instance.pk and len(mine) == 1:
                self.initial.setdefault("owning_organisation", next(iter(mine)))
        if "shared_with_people" in self.fields:
            self._offer_only_people_in_reach(mine)
        self._offer_only_link_targets_in_reach(user)

    def _offer_only_people_in_reach(self, mine):
        """The people an editor may name: members of their own organisations and of the record's
        owner and shared-with organisations, and those already named; never every account."""
        record = self.instance
        organisations = set(mine)
        named = set()
        if record.pk:
            organisations |= {organisation.pk for organisation in record.shared_with_organisations.all()}
            organisations.add(record.owning_organisation_id)
            named = {person.pk for person in record.shared_with_people.all()}
        field = self.fields["shared_with_people"]
        members = Membership.objects.filter(organisation__in=organisations).values("user")
        field.queryset = field.queryset.filter(Q(pk__in=members) | Q(pk__in=named)).order_by("username")

    def _offer_only_link_targets_in_reach(self, user):
        """A link may point only at a record (or a provision of a framework) the editor may link to
        (``linkable_by``); a link already stored keeps its target, so saving loses nothing. Any
        other id is refused as one that does not exist."""
        formset = self.formsets.get("links")
        if formset is None:
            return
        stored = [(link.target_id, link.target_provision_id) for link in self.instance.links.all()]
        targets = apps.get_model("portal", "RecordPage").objects.linkable_by(user).values("pk")
        kept_targets = {target for target, _ in stored if target}
        kept_provisions = {provision for _, provision in stored if provision}
        for form in formset.forms:
            if "target" in form.fields:
                field = form.fields["target"]
                choose_only(field, field.queryset.filter(Q(pk__in=targets) | Q(pk__in=kept_targets)))
            if "target_provision" in form.fields:
                field = form.fields["target_provision"]
                choose_only(field, field.queryset.filter(Q(framework__in=targets) | Q(pk__in=kept_provisions)))

    def clean(self):
        cleaned_data = super().clean()
        self._check_wider_sharing(cleaned_data)
        seen = set()
        for form in child_forms(self, "links"):
            target = form.cleaned_data.get("target")
            provision = form.cleaned_data.get("target_provision")
            if target is None and provision is not None:
                target = provision.framework
            if target is None:
                continue
            if self.instance.pk and target.pk == self.instance.pk:
                form.add_error("target", "A record cannot link to itself. Choose another record.")
                continue
            key = (form.cleaned_data.get("link_type"), target.pk, provision.pk if provision else None)
            if key in seen:
                form.add_error("target", "This link is already listed above. Remove one of the two.")
            seen.add(key)
        return cleaned_data

    def _check_wider_sharing(self, cleaned_data):
        """Each change that lets more people see the record (``sharing.widenings``: the level, a
        new organisation, a newly named person, another or no owner) is an error on its field
        until the editor ticks the confirmation. Compared with the stored, live, version."""
        before = stored_sharing(self.instance.pk) if self.instance.pk else None
        if before is None or cleaned_data.get("confirm_wider_sharing"):
            return

        def chosen(field, key, read):
            # A field that is not valid (so not cleaned) keeps its stored value here.
            return read(cleaned_data[field]) if field in cleaned_data else before[key]

        after = sharing_state(
            cleaned_data.get("sharing_level") or before["level"],
            chosen("owning_organisation", "owner", lambda owner: owner.pk if owner else None),
            chosen("shared_with_organisations", "organisations", lambda organisations: [o.pk for o in organisations]),
            chosen("shared_with_people", "people", lambda people: [p.pk for p in people]),
        )
        for field, words in widenings(before, after):
            self.add_error(
                field if field in self.fields else None,
                f"This shares the record with a wider audience: {words}. "
                "Tick “Confirm wider sharing” (under the sharing level) to go ahead.",
            )
