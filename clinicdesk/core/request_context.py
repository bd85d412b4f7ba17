"""Where the current request came from, for audit events written deep inside services.

Services take an explicit `actor`; the client address and user agent are carried here so
that every service does not need a `request` parameter.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip: str = ""
    user_agent: str = ""


_NOWHERE = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("clinicdesk_request_origin", default=None)


def current_origin() -> RequestOrigin:
    """Where the current request came from; empty outside a request (commands, workers)."""
    return _origin.get() or _NOWHERE


def set_origin(origin: RequestOrigin):
    return _origin.set(origin)


def reset_origin(token) -> None:
    _origin.reset(token)


def origin_from_meta(meta: dict, proxy_count: int = 0) -> RequestOrigin:
    """Client address and agent from a WSGI environ.

    Behind `proxy_count` trusted proxies the client is that many hops from the right of
    X-Forwarded-For; with none, the socket address is the only one we trust.
    """
    ip = meta.get("REMOTE_ADDR", "") or ""
    if proxy_count:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxy_count:
            ip = hops[-proxy_count]
    agent = meta.get("HTTP_USER_AGENT", "") or ""
    if not agent.isprintable():
        # Every audit event stores it: a NUL (which PostgreSQL cannot store) or another control
        # character sent by a client would otherwise break every write of its requests.
        agent = "".join(ch if ch.isprintable() else "?" for ch in agent)
    return RequestOrigin(ip=ip[:45].replace("\x00", ""), user_agent=agent[:255])
