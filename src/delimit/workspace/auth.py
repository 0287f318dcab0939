"""Accounts, roles, password hashes (argon2), sessions, API tokens and the log-in rate limit.

Secrets are never stored: passwords as argon2id hashes, session cookies and API tokens as SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import threading
import time
from collections import deque
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The mediator's team (delegations are named by their party id).
MEDIATOR = "mediator"


class Role(StrEnum):
    head = "head"  # head of delegation
    delegate = "delegate"
    observer = "observer"
    mediator = "mediator"


#: Roles that may write drafts, comments and sections' geometry.
WRITERS = frozenset({Role.head, Role.delegate, Role.mediator})

#: Environment variable choosing the argon2 parameters: unset (or ``rfc-9106-low-memory``) for
#: argon2-cffi's default profile; ``cheapest`` for test suites only (argon2-cffi's CHEAPEST profile:
#: still argon2id and salted, but fast and weak). The parameters are stored in each hash, so a
#: database written under one profile verifies under the other.
ARGON2_PROFILE_ENV = "DELIMIT_WORKSPACE_ARGON2"


def _password_hasher() -> PasswordHasher:
    from argon2 import profiles

    name = os.environ.get(ARGON2_PROFILE_ENV, "").strip().lower()
    if name == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    if name in ("", "rfc-9106-low-memory", "default"):
        return PasswordHasher()
    raise ValueError(f"{ARGON2_PROFILE_ENV}={name!r}: expected 'cheapest' or 'default'")


_hasher = _password_hasher()

#: Shortest password accepted when an account changes its password.
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, parameters in the hash string)."""
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``; never raises for a wrong password."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user name is unknown, so that unknown and known names take as long
    (made at the first such log-in, not at import: commands that never log anyone in do not pay for it)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_unknown_user(password: str) -> bool:
    """Spend the time of one verification for an unknown user name (always False)."""
    check_password(_dummy_hash(), password)
    return False


def new_password() -> str:
    """A random one-time password (about 96 bits)."""
    return secrets.token_urlsafe(12)


def new_secret() -> str:
    """A random session cookie or API token (256 bits)."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A random object id: unguessable and carrying no count of other objects."""
    return secrets.token_hex(16)


def secret_hash(secret: str) -> str:
    """The SHA-256 under which a session cookie or API token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class LoginLimiter:
    """At most ``attempts`` failed log-ins per key (user name, client address) within ``window_s`` seconds.

    Kept in memory: a restarted server forgets, which only ever makes it more lenient.
    """

    def __init__(self, attempts: int = 5, window_s: float = 60.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until another attempt is allowed for these keys (0 if allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window_s - (now - q[0]) for k in keys if len(q := self._recent(k, now)) >= self.attempts]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)
