"""Server-side sessions (SESSION_ENGINE) whose expiry follows the project clock.

Django's database sessions read the system clock to stamp and check a session's expiry; here
the same backend reads `clinicdesk.core.clock`, like everything else, so
the idle limit and the nightly cleanup agree with the rest of the product about what time it
is (and a test that moves the clock moves sessions with it). The table and the rows are
Django's own.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation

from clinicdesk.core import clock


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        try:
            return self.model.objects.get(session_key=self.session_key, expire_date__gt=clock.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):
                logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
            return None

    def get_expiry_age(self, **kwargs: Any) -> int:
        kwargs.setdefault("modification", clock.now())
        return super().get_expiry_age(**kwargs)

    def get_expiry_date(self, **kwargs: Any) -> Any:
        kwargs.setdefault("modification", clock.now())
        return super().get_expiry_date(**kwargs)

    def set_expiry(self, value: Any) -> None:
        super().set_expiry(clock.now() + value if isinstance(value, timedelta) else value)

    @classmethod
    def clear_expired(cls) -> None:
        cls.get_model_class().objects.filter(expire_date__lt=clock.now()).delete()
