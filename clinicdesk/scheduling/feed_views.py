"""Calendar feed pages: a provider's feeds (create, revoke) and the feed itself (.ics by secret link)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires, secret_link

from . import feeds, selectors
from .access import access_calendar_feed


def _provider(request: StaffRequest, public_id):
    provider = selectors.provider_get(public_id=public_id)
    if not feeds.feed_may_manage(request.user, provider):
        raise Http404
    return provider


@requires(Cap.SCHEDULE_READ)
@require_http_methods(["GET", "POST"])
def feed_list(request: StaffRequest, public_id) -> HttpResponse:
    provider = _provider(request, public_id)
    new_url, error = "", ""
    if request.method == "POST":
        try:
            _feed, token = feeds.feed_create(
                actor=request.user, provider=provider, include_details=request.POST.get("include_details") == "on"
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            new_url = request.build_absolute_uri(reverse("scheduling:calendar_feed", args=[token]))
    context = {
        "provider": provider,
        "feeds": feeds.feeds_of(provider),
        "new_url": new_url,
        "error": error,
        "may_include_details": role_can(request.user.role, Cap.SCHEDULE_SETUP),
    }
    return render(request, "scheduling/feed_list.html", context, status=422 if error else 200)


@requires(Cap.SCHEDULE_READ)
@require_http_methods(["GET"])
def my_feeds(request: StaffRequest) -> HttpResponse:
    """A provider's own feeds page (for the link on their week view); 404 for staff who are not providers."""
    provider = getattr(request.user, "provider", None)
    if provider is None:
        raise Http404
    return redirect("scheduling:feeds", public_id=provider.public_id)


@requires(Cap.SCHEDULE_READ)
@require_POST
def feed_revoke_view(request: StaffRequest, public_id) -> HttpResponse:
    feed = access_calendar_feed(actor=request.user, public_id=public_id)
    feeds.feed_revoke(actor=request.user, feed=feed)
    return redirect("scheduling:feeds", public_id=feed.provider.public_id)


@secret_link
@require_http_methods(["GET"])
def calendar_feed(request, token: str) -> HttpResponse:
    response = HttpResponse(feeds.feed_calendar(token=token), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="clinic-schedule.ics"'
    return response
