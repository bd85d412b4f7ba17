"""Requests refused on purpose: the size limits, and the one log line each refusal leaves.

A refusal (403 for a missing capability, 413 for a body that is too large, 414 for an
address that is too long, a refused API token) is the system working, not failing. It is
logged as one WARNING line on the `clinicdesk.refusals` logger — who, which route, what was
needed, what happened — with no traceback. Tracebacks are for real errors, which Django and
the API's catch-all still log in full. The audit trail separately records the refusals that
matter for privacy.

Size limits: the path plus query string may be CLINICDESK_MAX_URL_BYTES long; a body other
than a multipart upload DATA_UPLOAD_MAX_MEMORY_SIZE (Django's rule, checked here from the
Content-Length before anything reads the body); a form may carry DATA_UPLOAD_MAX_NUMBER_FIELDS
fields and DATA_UPLOAD_MAX_NUMBER_FILES files, and its non-file fields together
DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises those while parsing; `body_limit_refusal` names them).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("clinicdesk.refusals")

TOO_LARGE = "Request too large"
URL_TOO_LONG = "Address too long"


def _safe(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters with control characters escaped (no forged log lines)."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return cut.encode("unicode_escape").decode("ascii")


def refusal_log(request: HttpRequest, *, status: int, reason: str, response: HttpResponse | None = None) -> None:
    """Write the one log line of a refused request. With `response`, mark it as logged.

    Django's own request logging skips a response so marked, which is how a 403 or a 413
    raised as an exception leaves this line instead of a warning with a full traceback.
    """
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    who = user.get_username() if signed_in else "anonymous"  # type: ignore[union-attr]  # signed_in checks it
    role = (getattr(user, "role", "") or "-") if signed_in else "-"
    log.warning(
        "refused %s %s %s user=%s role=%s %s",
        status,
        request.method,
        _safe(request.path),
        _safe(who, 150),
        role,
        _safe(reason, 300),
    )
    if response is not None:
        response._has_been_logged = True  # type: ignore[attr-defined]  # read by django.utils.log.log_response


def _size(n: int) -> str:
    """Bytes for people: 2621440 -> "2.5 MB", 900 -> "900 bytes"."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB".replace(".0 ", " ")
    return f"{n / (1024 * 1024):.1f} MB".replace(".0 ", " ")


def url_refusal(request: HttpRequest) -> str | None:
    """Why the path plus query string is too long, or None when it is within the limit."""
    limit = settings.CLINICDESK_MAX_URL_BYTES
    length = len(request.path_info.encode("utf-8", "surrogateescape")) + len(request.META.get("QUERY_STRING", ""))
    if length <= limit:
        return None
    return (
        f"The address is {length:,} bytes long; this server accepts at most {limit:,} bytes of path and query "
        "string. Send long lists or search text in the body of a POST request instead."
    )


def content_length_refusal(request: HttpRequest) -> str | None:
    """Why the declared body is too large, or None. Multipart uploads are left to the parser.

    Django applies DATA_UPLOAD_MAX_MEMORY_SIZE to every body but a multipart one, by its
    Content-Length, when the body is first read; this applies the same rule before anything
    reads it, so no part of the application meets the error.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django reads such a body as empty
    if limit is None or length <= limit or request.content_type == "multipart/form-data":
        return None
    return (
        f"The request body is {_size(length)}; this server accepts at most {_size(limit)} "
        f"({limit:,} bytes) in one request, not counting attached files."
    )


def body_limit_refusal(exc: BaseException | None) -> str | None:
    """The plain-English reason when `exc` is one of Django's request-size errors, else None.

    These are raised while a form or upload is parsed: RequestDataTooBig (the non-file fields
    together, or a body whose size the pre-check could not see), TooManyFieldsSent and
    TooManyFilesSent. All answer 413.
    """
    if isinstance(exc, TooManyFieldsSent):
        return (
            f"The form sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields, "
            "the most this server accepts in one request."
        )
    if isinstance(exc, TooManyFilesSent):
        return (
            f"The request attached more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files, "
            "the most this server accepts in one request."
        )
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return (
            f"The request is larger than the {_size(limit)} ({limit:,} bytes) this server accepts, "
            "not counting attached files."
        )
    return None
