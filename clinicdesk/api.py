"""The JSON API at /api/v1: one NinjaAPI, a router per app, one error shape (RFC 9457)."""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.accounts.api import router as staff_router
from clinicdesk.accounts.api_auth import StaffSessionAuth, TokenAuth
from clinicdesk.accounts.services import TokenRefused
from clinicdesk.api_operations import operation_name
from clinicdesk.audit.api import router as audit_router
from clinicdesk.clinical.api import router as clinical_router
from clinicdesk.codes.api import router as codes_router
from clinicdesk.core.api_guards import REFUSAL, REQUEST_ATTR
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.errors import Conflict
from clinicdesk.core.guards import requires
from clinicdesk.core.problems import problem
from clinicdesk.core.refusals import TOO_LARGE, body_limit_refusal, refusal_log
from clinicdesk.patients.api import router as patients_router
from clinicdesk.scheduling.api import router as scheduling_router

log = logging.getLogger(__name__)


class ClinicDeskAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document names and tags every operation by one rule (api_operations.py)."""

    def _operation_path(self, operation: Operation) -> tuple[str, str]:
        """(METHOD, path below the API root) of `operation`, found among the mounted routers."""
        for bound in self._get_bound_routers():
            for path, view in bound.path_operations.items():
                # The operation as mounted, or the router's own (a walk of api._routers holds those).
                candidates = [*view.operations, *bound.template.path_operations[path].operations]
                if any(candidate is operation for candidate in candidates):
                    full = "/" + "/".join(part.strip("/") for part in (bound.prefix, path) if part.strip("/"))
                    return operation.methods[0], full
        raise LookupError(f"{operation.view_func.__qualname__} is not mounted on the API")

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation_name(*self._operation_path(operation))[0]

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        root = "/" + (self.get_root_path(path_params or {}) if path_prefix is None else path_prefix).strip("/")
        for path, item in schema["paths"].items():
            below_root = "/" + path.removeprefix(root).strip("/")
            for method, details in item.items():
                details["tags"] = [operation_name(method, below_root)[1]]
        return schema


api = ClinicDeskAPI(
    title="ClinicDesk API",
    version="1",
    description="Session (browser) or personal API token (`Authorization: Bearer cdk_…`). "
    "Errors are RFC 9457 problem details.",
    auth=[TokenAuth(), StaffSessionAuth()],
    docs_url="/docs",
    docs_decorator=requires(Cap.ACCOUNT_SELF),
    urls_namespace="api",
)
# One router per app, each mounted once at its prefix (the app's api.py gathers its features' routers).
api.add_router("/", staff_router)
api.add_router("/audit", audit_router)
api.add_router("/", codes_router)
api.add_router("/", patients_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/clinical", clinical_router)


def _loc(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "q")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = [{"field": _loc(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors]
    return problem(422, "Some fields are missing or invalid. See `errors`.", errors=errors)


@api.exception_handler(DjangoValidationError)
def on_service_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": "body", "message": m} for m in exc.messages]
    if isinstance(exc, Conflict):
        # The refusal's own title ("Appointment time is in the past") and words, not one
        # sentence for every kind: a time that has passed clashes with no record.
        return problem(409, " ".join(exc.messages), title=exc.title, errors=errors)
    return problem(422, "The request could not be carried out. See `errors`.", errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return problem(
        401,
        "Sign in, or send a valid API token as `Authorization: Bearer <token>`. "
        "A token stops working when it expires, is revoked, or its owner is deactivated.",
        headers={"WWW-Authenticate": 'Bearer realm="clinicdesk"'},
    )


@api.exception_handler(TokenRefused)
def on_token_refused(request, exc: TokenRefused):
    headers = {"WWW-Authenticate": 'Bearer realm="clinicdesk", error="invalid_token"'} if exc.status == 401 else None
    response = problem(exc.status, exc.detail, headers=headers)
    refusal_log(request, status=exc.status, reason=f"API token refused: {exc.detail}", response=response)
    return response


def _forbidden(request, detail: str):
    """A 403 problem and its one log line: the capability when that was missing, else the reason."""
    capability = getattr(request, REQUEST_ATTR, None)
    response = problem(403, detail)
    missing_capability = detail == REFUSAL and capability
    refusal_log(
        request,
        status=403,
        reason=f"capability={capability}" if missing_capability else f"reason={detail}",
        response=response,
    )
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    detail = str(exc)
    if exc.status_code == 400 and "parse" in detail.lower():
        detail = "The request body is not valid JSON."
    if exc.status_code == 403:
        return _forbidden(request, detail)
    return problem(exc.status_code, detail)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem(404, "No such record, or you do not have access to it.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _forbidden(request, str(exc) or "Your role does not include this.")


@api.exception_handler(EmergencyAccessRequired)
def on_restricted(request, exc):
    return _forbidden(request, "This record is restricted. Open it in the app with a reason (emergency access) first.")


# A body Django refuses while reading it: too large, too many fields or files (413), or
# otherwise unreadable (400). Without these the catch-all below would answer 500.
@api.exception_handler(SuspiciousOperation)
def on_suspicious_request(request, exc: SuspiciousOperation):
    too_large = body_limit_refusal(exc)
    response = (
        problem(413, too_large, title=TOO_LARGE)
        if too_large
        else problem(400, "The request could not be accepted as sent.")
    )
    refusal_log(request, status=response.status_code, reason=type(exc).__name__, response=response)
    return response


@api.exception_handler(MultiPartParserError)
def on_unreadable_form(request, exc):
    response = problem(400, "The multipart body could not be read. Check the boundary and the parts.")
    refusal_log(request, status=400, reason="unreadable multipart body", response=response)
    return response


@api.exception_handler(UnreadablePostError)
def on_body_cut_short(request, exc):
    response = problem(400, "The request body ended before the length it declared.")
    refusal_log(request, status=400, reason="body ended early", response=response)
    return response


@api.exception_handler(BadRequest)
def on_bad_request(request, exc):
    response = problem(400, str(exc) or "The request could not be understood.")
    refusal_log(request, status=400, reason=type(exc).__name__, response=response)
    return response


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("API error on %s", request.path)
    return problem(500, "Something went wrong on our side. The error was logged; try again shortly.")
