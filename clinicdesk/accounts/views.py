from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinicdesk.core.capabilities import Cap, Role
from clinicdesk.core.datetimes import datetime_text
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.core.patient_refs import patient_ref

from . import services
from .access import access_api_token, access_emergency_grant, access_staff
from .forms import ApiTokenForm, EmergencyReasonForm, PasswordSetForm, ReviewForm, RoleForm, StaffCreateForm
from .http import StaffRequest
from .selectors import api_tokens_of, emergency_access_pending, emergency_access_reviewed, staff_security_summary
from .selectors import staff_list as staff_query


def _status(code: int, response: HttpResponse) -> HttpResponse:
    response.status_code = code
    return response


@requires(Cap.STAFF_MANAGE)
def staff_list(request: StaffRequest) -> HttpResponse:
    return render(request, "accounts/staff_list.html", {"staff": staff_query()})


@requires(Cap.STAFF_MANAGE)
def staff_create(request: StaffRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"Account {user.username} created. They set up two-factor authentication at first sign-in."
            )
            return redirect("accounts:staff_detail", public_id=user.public_id)
    code = 422 if request.method == "POST" else 200
    return _status(code, render(request, "accounts/staff_create.html", {"form": form}))


def _detail(request: StaffRequest, person, **forms) -> HttpResponse:
    context = {
        "person": person,
        "role_form": forms.get("role_form") or RoleForm(initial={"role": person.role}),
        "password_form": forms.get("password_form") or PasswordSetForm(),
        "action_errors": forms.get("action_errors", []),
        **staff_security_summary(user=person),
    }
    code = 422 if any(k in forms for k in ("role_form", "password_form", "action_errors")) else 200
    return _status(code, render(request, "accounts/staff_detail.html", context))


@requires(Cap.STAFF_MANAGE)
def staff_detail(request: StaffRequest, public_id: str) -> HttpResponse:
    return _detail(request, access_staff(actor=request.user, public_id=public_id))


@require_POST
@requires(Cap.STAFF_MANAGE)
def staff_role(request: StaffRequest, public_id: str) -> HttpResponse:
    person = access_staff(actor=request.user, public_id=public_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.staff_change_role(actor=request.user, user=person, role=form.cleaned_data["role"])
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{person.username} is now {Role(person.role).label}. Their sessions were ended.")
            return redirect("accounts:staff_detail", public_id=person.public_id)
    return _detail(request, person, role_form=form)


@require_POST
@requires(Cap.STAFF_MANAGE)
def staff_password(request: StaffRequest, public_id: str) -> HttpResponse:
    person = access_staff(actor=request.user, public_id=public_id)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            services.staff_set_password(actor=request.user, user=person, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Temporary password set for {person.username}. Their sessions were ended.")
            return redirect("accounts:staff_detail", public_id=person.public_id)
    return _detail(request, person, password_form=form)


def _account_action(request: StaffRequest, public_id: str, service, done: str) -> HttpResponse:
    person = access_staff(actor=request.user, public_id=public_id)
    try:
        service(actor=request.user, user=person)
    except (ValidationError, PermissionDenied) as exc:
        errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return _detail(request, person, action_errors=errors)
    messages.success(request, done.format(username=person.username))
    return redirect("accounts:staff_detail", public_id=person.public_id)


@require_POST
@requires(Cap.STAFF_MANAGE)
def staff_deactivate(request: StaffRequest, public_id: str) -> HttpResponse:
    return _account_action(
        request, public_id, services.staff_deactivate, "{username} is deactivated and signed out everywhere."
    )


@require_POST
@requires(Cap.STAFF_MANAGE)
def staff_reactivate(request: StaffRequest, public_id: str) -> HttpResponse:
    return _account_action(request, public_id, services.staff_reactivate, "{username} can sign in again.")


@require_POST
@requires(Cap.STAFF_MANAGE)
def staff_reset_mfa(request: StaffRequest, public_id: str) -> HttpResponse:
    return _account_action(
        request,
        public_id,
        services.staff_reset_mfa,
        "Two-factor authentication reset for {username}. They enrol again at next sign-in.",
    )


# --- my account -----------------------------------------------------------------------------


@requires(Cap.ACCOUNT_SELF)
def my_account(request: StaffRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_secret = services.api_token_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            form = ApiTokenForm()
    context = {"token_form": form, "tokens": api_tokens_of(user=request.user), "new_secret": new_secret}
    code = 422 if request.method == "POST" and new_secret is None else 200
    return _status(code, render(request, "accounts/my_account.html", context))


@require_POST
@requires(Cap.ACCOUNT_SELF)
def token_revoke(request: StaffRequest, public_id: str) -> HttpResponse:
    token = access_api_token(actor=request.user, public_id=public_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked. Programs using it are refused from now on.")
    return redirect("accounts:my_account")


# --- emergency access ------------------------------------------------------------------------


@requires(Cap.EMERGENCY_ACCESS)
def emergency_access(request: StaffRequest, patient_id: str) -> HttpResponse:
    """The break-the-glass form: a typed reason opens a restricted record for a limited time.

    An address naming no patient answers 404 before any form is shown (no grant for nothing).
    """
    if patient_ref(patient_id) is None:
        raise Http404
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = EmergencyReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.emergency_access_grant(
                actor=request.user, patient_id=patient_id, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            until = datetime_text(grant.expires_at)
            messages.warning(request, f"Emergency access granted until {until}. It will be reviewed.")
            return redirect(next_url or "home")
    code = 422 if request.method == "POST" else 200
    return _status(
        code,
        render(request, "accounts/emergency_access.html", {"form": form, "patient_id": patient_id, "next": next_url}),
    )


@requires(Cap.EMERGENCY_REVIEW)
def emergency_review(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "accounts/emergency_review.html",
        {
            "pending": emergency_access_pending(),
            "reviewed": emergency_access_reviewed(),
            "form": ReviewForm(),
        },
    )


@require_POST
@requires(Cap.EMERGENCY_REVIEW)
def emergency_review_one(request: StaffRequest, public_id: str) -> HttpResponse:
    grant = access_emergency_grant(actor=request.user, public_id=public_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.emergency_access_review(actor=request.user, grant=grant, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Review recorded.")
            return redirect("accounts:emergency_review")
    return _status(
        422,
        render(
            request,
            "accounts/emergency_review.html",
            {
                "pending": emergency_access_pending(),
                "reviewed": emergency_access_reviewed(),
                "form": ReviewForm(),
                "error_grant": grant.public_id,
                "error_form": form,
            },
        ),
    )
