"""Passwords (bcrypt) and tokens (HS256 JWTs with the literal ``JWT `` prefix), §3."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import bcrypt
import jwt

from .store import Store

PREFIX = "JWT "
_HEADER = re.compile(r"(\S+)\s+(\S+)")
SECRET_KEY = "jwt_secret"


#: bcrypt reads at most this many bytes of a password (v1 and bcrypt < 5 ignore the rest; bcrypt 5 refuses).
BCRYPT_BYTES = 72


def _password_bytes(password: str) -> bytes:
    """The bytes bcrypt sees: UTF-8 (lone surrogates kept as their 3 bytes), at most 72."""
    return password.encode("utf-8", "surrogatepass")[:BCRYPT_BYTES]


def hash_password(password: str, rounds: int) -> str:
    """bcrypt hash of ``password`` (as the ``$2b$`` text)."""
    return bcrypt.hashpw(_password_bytes(password), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches the stored bcrypt ``hashed`` value."""
    try:
        return bcrypt.checkpw(_password_bytes(password), hashed.encode("ascii"))
    except ValueError:
        return False


@dataclass
class Tokens:
    """Issues and verifies the server's JWTs with a secret persisted in the store."""

    secret: str
    session_ttl: float
    api_ttl: float

    @classmethod
    def for_store(cls, store: Store, session_ttl: float, api_ttl: float) -> Tokens:
        """Load the store's signing secret, creating it on first use."""
        with store.lock:
            secret = store.meta_get(SECRET_KEY)
            if secret is None:
                secret = secrets.token_hex(32)
                store.meta_set(SECRET_KEY, secret)
        return cls(secret, session_ttl, api_ttl)

    def _issue(self, payload: dict[str, Any], ttl: float) -> str:
        now = int(time.time())
        body = {**payload, "iat": now, "exp": now + int(ttl)}
        return PREFIX + jwt.encode(body, self.secret, algorithm="HS256")

    def api_token(self, user_id: str) -> str:
        """The long-lived apitoken: ``{_id, iat, exp}``."""
        return self._issue({"_id": user_id}, self.api_ttl)

    def session_token(self, user_id: str, name: str | None) -> str:
        """The 24h session token: ``{_id, name, iat, exp}``."""
        return self._issue({"_id": user_id, "name": name}, self.session_ttl)

    def user_id_from_header(self, header: str | None) -> str | None:
        """The ``_id`` claim of a valid ``Authorization: JWT <jwt>`` header, else ``None``."""
        if not header:
            return None
        match = _HEADER.match(header)
        if not match or match.group(1).lower() != "jwt":
            return None
        try:
            claims = jwt.decode(match.group(2), self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        user_id = claims.get("_id")
        return user_id if isinstance(user_id, str) else None
