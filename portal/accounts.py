"""Partner accounts on the public site: sign in and out, reset a password, manage API tokens,
follow frameworks, provisions, terms, kinds and searches, keep private feeds of them, and (for an
organisation's administrators) register webhooks."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import include, path, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.audit import record, record_once_a_minute
from portal.models import (
    AuditEntry,
    Follow,
    Membership,
    PartnerToken,
    PrivateFeed,
    WebhookEndpoint,
)
from portal.services import alerts, follows, webhooks
from portal.tokens import LIFETIMES, create_token, revoke_token


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What the token is for, e.g. “GRC sync”. It appears in the audit log.",
    )
    lifetime = forms.TypedChoiceField(
        choices=[("" if days is None else str(days), label) for days, label in LIFETIMES],
        coerce=lambda value: int(value) if value else None,
        empty_value=None,
        initial="90",
        label="Expires after",
        required=False,
    )


@login_required
def account(request):
    """The signed-in person's organisations and API tokens; creating a token shows it once."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        token, new_token = create_token(
            request.user, form.cleaned_data["name"], form.cleaned_data["lifetime"], request=request
        )
        form = TokenForm()
    context = {
        "memberships": Membership.objects.filter(user=request.user).select_related("organisation"),
        "tokens": PartnerToken.objects.filter(user=request.user).order_by("-created"),
        "form": form,
        "new_token": new_token,
        "follows": Follow.objects.filter(user=request.user),
        "feeds": PrivateFeed.objects.filter(user=request.user, revoked_at__isnull=True).select_related("follow"),
        "new_feed_url": request.session.pop("new_feed_url", None),
        "webhooks": WebhookEndpoint.objects.filter(owner=request.user),
        "may_register_webhooks": webhooks.administered_organisations(request.user).exists(),
    }
    return render(request, "account/account.html", context, status=400 if form.errors else 200)


def _back(request, fallback):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
def follow(request):
    """Follow something: ``?subject=…&key=…`` (and ``framework=`` for a provision) shows what would
    be followed with a button; posting follows it. Something the person may not see is a 404, as
    if it did not exist."""
    data = request.POST if request.method == "POST" else request.GET
    subject, key, framework = data.get("subject", ""), data.get("key", ""), data.get("framework")
    try:
        _, _, label = follows.resolve(request.user, subject, key, framework)
    except ValueError as error:
        return render(request, "account/follow.html", {"error": str(error)}, status=400)
    if request.method == "POST":
        done, created = follows.follow(request.user, subject, key, framework)
        messages.success(request, f"You follow {done.label}." if created else f"You already follow {done.label}.")
        return redirect(_back(request, "account"))
    context = {"label": label, "subject": subject, "key": key, "framework": framework or "", "next": _back(request, "")}
    return render(request, "account/follow.html", context)


@login_required
@require_POST
def unfollow(request, pk):
    done = get_object_or_404(Follow, pk=pk, user=request.user)
    done.delete()
    messages.success(request, f"You no longer follow {done.shown_label}; its private feeds are revoked.")
    return redirect("account")


@login_required
@require_POST
def set_delivery(request, pk):
    """How a follow reaches its person: feeds only, e-mail at once, daily or weekly digest."""
    done = get_object_or_404(Follow, pk=pk, user=request.user)
    choice = request.POST.get("delivery", "")
    if choice not in Follow.Delivery.values:
        messages.error(request, "Choose one of the ways listed.")
        return redirect("account")
    if choice != Follow.Delivery.FEED and not request.user.email:
        messages.error(request, "Your account has no e-mail address; ask an administrator to add one.")
        return redirect("account")
    done.delivery = choice
    done.save(update_fields=["delivery"])
    messages.success(request, f"{done.shown_label}: {done.get_delivery_display().lower()}.")
    return redirect("account")


def unsubscribe(request, token):
    """The link in every alert and digest. GET asks (mail scanners follow links); POST, also the
    one-click ``List-Unsubscribe=One-Click`` of RFC 8058, stops the e-mail of that follow. Forged or
    expired links get a message and change nothing; a used link says it was used."""
    try:
        done = alerts.read_unsubscribe_token(token)
    except ValueError as error:
        return render(request, "account/unsubscribe.html", {"error": str(error)}, status=400)
    if done.delivery == Follow.Delivery.FEED:
        return render(request, "account/unsubscribe.html", {"follow": done, "already": True})
    if request.method == "POST":
        done.delivery = Follow.Delivery.FEED
        done.save(update_fields=["delivery"])
        return render(request, "account/unsubscribe.html", {"follow": done, "done": True})
    return render(request, "account/unsubscribe.html", {"follow": done})


@login_required
@require_POST
def create_feed(request):
    """A private feed of one follow (``follow``) or of all of them; its address is shown once."""
    chosen = request.POST.get("follow") or ""
    if chosen and not chosen.isdigit():
        raise Http404
    done = get_object_or_404(Follow, pk=chosen, user=request.user) if chosen else None
    _, secret = PrivateFeed.create(request.user, done)
    request.session["new_feed_url"] = request.build_absolute_uri(f"/feeds/private/{secret}/")
    messages.success(request, "Your private feed is ready: copy its address below, it is shown only once.")
    return redirect("account")


@login_required
@require_POST
def revoke_feed(request, pk):
    feed = get_object_or_404(PrivateFeed, pk=pk, user=request.user)
    feed.revoke()
    messages.success(request, "The private feed is revoked: its address now answers 404.")
    return redirect("account")


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(PartnerToken, pk=pk, user=request.user)
    revoke_token(token, request=request)
    messages.success(request, f"The token “{token.name}” is revoked; requests that use it are now refused.")
    return redirect("account")


class WebhookForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="The endpoint receives what you may see."
    )
    url = forms.URLField(
        max_length=500,
        label="Endpoint address",
        assume_scheme="https",
        help_text="An https:// address on a public host. The portal sends it a signed ping first; it must answer 2xx.",
    )
    description = forms.CharField(max_length=200, required=False, help_text="What receives it, e.g. “SOC ticketing”.")

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


@login_required
def webhook_list(request):
    """The person's webhook endpoints; an organisation's administrator registers new ones here."""
    organisations = webhooks.administered_organisations(request.user)
    form = WebhookForm(request.POST or None, organisations=organisations) if organisations.exists() else None
    if request.method == "POST":
        if form is None:
            return render(request, "account/webhooks.html", {"endpoints": [], "form": None}, status=403)
        if form.is_valid():
            try:
                endpoint = webhooks.register(
                    request.user,
                    form.cleaned_data["organisation"],
                    form.cleaned_data["url"],
                    form.cleaned_data["description"],
                )
            except webhooks.EndpointRefused as refused:
                form.add_error("url", str(refused))
            else:
                request.session["new_webhook_secret"] = endpoint.secret
                messages.success(request, "The endpoint answered the signed ping and is registered.")
                return redirect("webhook", endpoint.pk)
    context = {"endpoints": WebhookEndpoint.objects.filter(owner=request.user), "form": form}
    return render(request, "account/webhooks.html", context, status=400 if form is not None and form.errors else 200)


@login_required
def webhook(request, pk):
    """One endpoint and its delivery log (its newest 100 deliveries), for its owner only."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, owner=request.user)
    context = {
        "endpoint": endpoint,
        "deliveries": endpoint.deliveries.all()[:100],
        "new_secret": request.session.pop("new_webhook_secret", None),
    }
    return render(request, "account/webhook.html", context)


@login_required
@require_POST
def webhook_action(request, pk, action):
    """Switch an endpoint off or on, give it a new secret, or delete it."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, owner=request.user)
    if action == "delete":
        endpoint.delete()
        messages.success(request, f"The endpoint {endpoint.url} is deleted; nothing more is sent to it.")
        return redirect("webhooks")
    if action == "rotate":
        endpoint.secret = WebhookEndpoint.new_secret()
        endpoint.save(update_fields=["secret"])
        request.session["new_webhook_secret"] = endpoint.secret
        messages.success(request, "New secret: requests are signed with it from now on.")
    elif action == "off":
        endpoint.active = False
        endpoint.stopped_because = "Switched off by its owner."
        endpoint.save(update_fields=["active", "stopped_because"])
        messages.success(request, "Switched off: changes are no longer sent to it.")
    elif action == "on":
        if not endpoint.owner_may_use():
            messages.error(request, "You are no longer an administrator of its organisation.")
        else:
            endpoint.active = True
            endpoint.stopped_because = ""
            endpoint.save(update_fields=["active", "stopped_because"])
            messages.success(request, "Switched on: changes from now on are sent to it.")
    else:
        raise Http404
    return redirect("webhook", endpoint.pk)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, on record in the audit log (once a minute per address: anyone can
    ask, for any address, as often as they like)."""

    def form_valid(self, form):
        record_once_a_minute(
            AuditEntry.Action.PASSWORD_RESET_REQUESTED, self.request, target=form.cleaned_data["email"]
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password form for a reset link, on record in the audit log once it succeeds."""

    def form_valid(self, form):
        response = super().form_valid(form)
        record(AuditEntry.Action.PASSWORD_RESET_COMPLETED, user=form.user, request=self.request)
        return response


password_reset_urls = [
    path(
        "password-reset/",
        PasswordResetView.as_view(
            template_name="account/password_reset.html",
            email_template_name="account/password_reset_email.txt",
            success_url=reverse_lazy("password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="account/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(
            template_name="account/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="account/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", account, name="account"),
    path("tokens/<int:pk>/revoke/", revoke, name="revoke_token"),
    path("follow/", follow, name="follow"),
    path("follows/<int:pk>/unfollow/", unfollow, name="unfollow"),
    path("follows/<int:pk>/delivery/", set_delivery, name="set_delivery"),
    path("unsubscribe/<str:token>/", csrf_exempt(unsubscribe), name="unsubscribe"),
    path("feeds/", create_feed, name="create_feed"),
    path("feeds/<int:pk>/revoke/", revoke_feed, name="revoke_feed"),
    path("webhooks/", webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhook, name="webhook"),
    path("webhooks/<int:pk>/<str:action>/", webhook_action, name="webhook_action"),
    path("login/", auth_views.LoginView.as_view(template_name="account/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(password_reset_urls)),
]
