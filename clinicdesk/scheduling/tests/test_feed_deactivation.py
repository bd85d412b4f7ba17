"""A deactivated provider's calendar feeds, and a deactivated staff member's, stop at once.

Both ways of leaving (the provider made inactive in the practice setup, the staff account
deactivated) answer 404 on the secret address and revoke the feeds in the same transaction,
audited. The address is also refused when the deactivation bypassed the services (admin, SQL),
because the feed itself checks both flags on every fetch. Reactivating brings no old address back.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.accounts.models import User
from clinicdesk.accounts.services import staff_deactivate, staff_reactivate
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.scheduling.feeds import feed_create
from clinicdesk.scheduling.models import CalendarFeed, Provider
from clinicdesk.scheduling.setup import ProviderInput, provider_update
from clinicdesk.scheduling.tests.factories import make_practice


@pytest.fixture
def practice(office_manager, clinician):
    return make_practice(office_manager, clinician)


def _feed_url(client, user, provider) -> str:
    """Create a feed on the feeds page as `user`; the secret address it shows once (path only)."""
    page = client.post(f"/scheduling/providers/{provider.public_id}/feeds/")
    assert page.status_code == 200, page.content
    return page.content.decode().split('readonly value="')[1].split('"')[0].split("testserver")[1]


def _deactivate_provider(office_manager, provider: Provider) -> list[str]:
    data = ProviderInput(
        specialty=provider.specialty,
        locations=list(provider.locations.all()),
        npi=provider.npi,
        taxonomy_code=provider.taxonomy_code,
        active=False,
    )
    return provider_update(actor=office_manager, provider=provider, data=data)


def _revocations(reason: str) -> int:
    return AuditEvent.objects.filter(
        object_type="calendar_feed", action=Action.DELETE, detail=f"revoked: {reason}"
    ).count()


def test_a_deactivated_providers_feeds_answer_404_and_are_revoked(practice, as_user, client, clinician, office_manager):
    first = _feed_url(as_user(clinician), clinician, practice.provider)
    second = _feed_url(as_user(office_manager), office_manager, practice.provider)
    client.logout()
    assert client.get(first).status_code == 200 and client.get(second).status_code == 200

    assert "active" in _deactivate_provider(office_manager, practice.provider)

    assert client.get(first).status_code == 404 and client.get(second).status_code == 404
    assert CalendarFeed.objects.filter(provider=practice.provider, revoked_at__isnull=True).count() == 0
    assert _revocations("provider deactivated") == 2


def test_deactivating_the_staff_account_revokes_the_feeds_of_the_provider(
    practice, as_user, client, clinician, office_manager
):
    url = _feed_url(as_user(clinician), clinician, practice.provider)
    client.logout()
    assert client.get(url).status_code == 200

    staff_deactivate(actor=office_manager, user=clinician)

    assert client.get(url).status_code == 404
    feed = CalendarFeed.objects.get(provider=practice.provider)
    assert feed.revoked_at is not None
    assert _revocations("staff account deactivated") == 1
    assert AuditEvent.objects.filter(object_id=str(feed.public_id), action=Action.DELETE).get().actor_username == "dana"


def test_the_staff_deactivation_page_revokes_the_feeds_too(practice, as_user, client, clinician, office_manager):
    url = _feed_url(as_user(clinician), clinician, practice.provider)
    answer = as_user(office_manager).post(f"/staff/{clinician.public_id}/deactivate/")
    assert answer.status_code in (200, 302)
    assert not User.objects.get(pk=clinician.pk).is_active
    client.logout()
    assert client.get(url).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is not None


@pytest.mark.parametrize("how", ["provider", "account"])
def test_a_deactivation_that_bypassed_the_services_still_closes_the_feed(practice, as_user, client, clinician, how):
    url = _feed_url(as_user(clinician), clinician, practice.provider)
    client.logout()
    if how == "provider":
        Provider.objects.filter(pk=practice.provider.pk).update(active=False)
    else:
        User.objects.filter(pk=clinician.pk).update(is_active=False)
    assert client.get(url).status_code == 404
    # Not revoked (nothing ran), but closed: turning the flag back on opens it again.
    assert CalendarFeed.objects.get().revoked_at is None


def test_reactivation_brings_no_old_address_back_and_new_feeds_wait_for_it(
    practice, as_user, client, clinician, office_manager
):
    url = _feed_url(as_user(clinician), clinician, practice.provider)
    staff_deactivate(actor=office_manager, user=clinician)
    with pytest.raises(ValidationError, match="deactivated"):
        feed_create(actor=office_manager, provider=Provider.objects.get(pk=practice.provider.pk))
    assert CalendarFeed.objects.count() == 1

    staff_reactivate(actor=office_manager, user=clinician)
    client.logout()
    assert client.get(url).status_code == 404
    fresh = _feed_url(as_user(clinician), clinician, practice.provider)
    client.logout()
    assert client.get(fresh).status_code == 200 and CalendarFeed.objects.count() == 2
