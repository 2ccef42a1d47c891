"""Optional authentication for the metrics endpoint: a bearer token or HTTP basic credentials.

Both compare in constant time and never put the secret in a ``repr``, a log line or an
exception message. A malformed ``Authorization`` header is simply not authenticated: it can
never turn into a server error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Protocol, runtime_checkable

__all__ = ["Authenticator", "BasicAuth", "BearerAuth"]


@runtime_checkable
class Authenticator(Protocol):
    """Decides whether a request may read the metrics.

    Implementations must not raise on any header value a client can send.
    """

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value sent with a 401 response."""
        ...

    def authenticate(self, authorization: str | None) -> bool:
        """Return whether the ``Authorization`` header value grants access."""
        ...


def _digest(value: bytes) -> bytes:
    # Comparing fixed-length digests hides the secret's length as well as its content.
    return hashlib.sha256(value).digest()


def _raw_bytes(value: str) -> bytes:
    """The header's bytes: ASGI and WSGI servers hand headers over decoded as latin-1."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def _split_scheme(authorization: str | None, scheme: str) -> str | None:
    """Return the credentials after ``scheme`` (case-insensitive), or ``None``."""
    if not authorization:
        return None
    given_scheme, _, credentials = authorization.strip().partition(" ")
    if given_scheme.lower() != scheme:
        return None
    credentials = credentials.strip()
    return credentials or None


class BearerAuth:
    """Require ``Authorization: Bearer <token>``.

    Args:
        token: The shared secret. Must be non-empty and contain no whitespace.
        realm: The realm named in the 401 challenge.

    Raises:
        ValueError: If the token is empty or contains whitespace.
    """

    __slots__ = ("_digest", "_realm")

    def __init__(self, token: str, *, realm: str = "metrics") -> None:
        if not token or any(c.isspace() for c in token):
            raise ValueError("bearer token must be a non-empty string without whitespace")
        self._digest = _digest(token.encode("utf-8"))
        self._realm = realm

    def __repr__(self) -> str:
        return f"BearerAuth(token='***', realm={self._realm!r})"

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value sent with a 401 response."""
        return f'Bearer realm="{self._realm}"'

    def authenticate(self, authorization: str | None) -> bool:
        """Return whether ``authorization`` carries the configured bearer token."""
        credentials = _split_scheme(authorization, "bearer")
        if credentials is None:
            return False
        return hmac.compare_digest(_digest(_raw_bytes(credentials)), self._digest)


class BasicAuth:
    """Require HTTP basic authentication (RFC 7617) with one user name and password.

    Args:
        username: The expected user name; must not contain ``:``.
        password: The expected password; must be non-empty.
        realm: The realm named in the 401 challenge.

    Raises:
        ValueError: If the user name contains ``:`` or either value is empty.
    """

    __slots__ = ("_password", "_realm", "_username")

    def __init__(self, username: str, password: str, *, realm: str = "metrics") -> None:
        if not username or ":" in username:
            raise ValueError("basic auth username must be non-empty and must not contain ':'")
        if not password:
            raise ValueError("basic auth password must be non-empty")
        self._username = _digest(username.encode("utf-8"))
        self._password = _digest(password.encode("utf-8"))
        self._realm = realm

    def __repr__(self) -> str:
        return f"BasicAuth(username='***', password='***', realm={self._realm!r})"

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value sent with a 401 response."""
        return f'Basic realm="{self._realm}", charset="UTF-8"'

    def authenticate(self, authorization: str | None) -> bool:
        """Return whether ``authorization`` carries the configured user name and password."""
        credentials = _split_scheme(authorization, "basic")
        if credentials is None:
            return False
        try:
            decoded = base64.b64decode(credentials.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return False
        username, sep, password = decoded.partition(b":")
        if not sep:
            return False
        # Both comparisons always run, so timing does not tell which part was wrong.
        user_ok = hmac.compare_digest(_digest(username), self._username)
        password_ok = hmac.compare_digest(_digest(password), self._password)
        return user_ok & password_ok
