"""HTTP transport: one :class:`requests.Session`, timeouts, retries, envelopes and typed errors.

The :class:`Transport` is the only place in the library that talks HTTP. It

* sends every request with a timeout (``timeout`` seconds, or a ``(connect, read)`` tuple),
* retries requests that are safe to repeat (GET, PUT, DELETE, and POSTs the caller marks as
  idempotent, such as object creation, which v1 servers de-duplicate by hash) on connection
  errors and on ``429``/``502``/``503``/``504`` answers, with exponential backoff and jitter,
* serialises JSON bodies without reordering keys or stripping ``None`` values, optionally
  gzip-compressing large bodies (``Content-Encoding: gzip``, which v1 servers inflate),
* ends every call by a total ``deadline`` (300 s by default, retries included), however slowly
  the server sends its answer,
* turns every failure into a typed :class:`~speckle.errors.SpeckleError`, including ``200``
  answers whose body says ``"success": false``, answers that are not JSON at all or nested too
  deeply, unusable charsets and malformed redirects; server data is never formatted with
  ``str()`` (see :func:`speckle._untrusted.preview`),
* logs requests and responses through :mod:`logging` (logger ``speckle.http``) with every
  token masked; passwords are never logged.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests

try:  # optional accelerator for large responses
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency, but keep working without it
    orjson = None  # type: ignore[assignment]

from speckle._deadline import DeadlineAdapter, DeadlineExceeded, deadline_passed, deadline_scope
from speckle._untrusted import decode_text, preview, utf8_safe
from speckle._version import __version__
from speckle.errors import (
    SpeckleConnectionError,
    SpeckleError,
    SpeckleInputError,
    SpeckleResponseError,
    SpeckleTimeoutError,
    error_for_response,
)

__all__ = [
    "Transport",
    "Timeout",
    "dumps_json",
    "mask_secrets",
    "time_limit",
    "DEFAULT_TIMEOUT",
    "DEFAULT_DEADLINE",
]

logger = logging.getLogger("speckle.http")

#: Seconds, or ``(connect, read)`` seconds.
Timeout = float | tuple[float, float]

DEFAULT_TIMEOUT: Timeout = 30.0
#: Seconds one call may take in all (connection, sending, every byte of the answer, retries and
#: their backoff); None: no limit beyond ``timeout`` per socket operation.
DEFAULT_DEADLINE: float | None = 300.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_FACTOR = 0.5
DEFAULT_BACKOFF_MAX = 8.0
#: Request bodies of at least this many bytes are gzip-compressed by default (remote servers).
DEFAULT_GZIP_THRESHOLD = 256 * 1024

#: HTTP methods that are safe to repeat.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Statuses after which a safe request is tried again.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

_SECRET_KEYS = frozenset({"password", "token", "apitoken", "access_token", "authorization"})
_JWT_RE = re.compile(r"(?i)(JWT|Bearer)(\s+|%20|\+)[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_BARE_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
#: a tag: ``<`` up to the next ``>``, never across another ``<`` (so each match attempt scans one
#: stretch of text: linear time even for pages full of unclosed ``<``)
_HTML_TAG_RE = re.compile(r"<[^<>]+>")
_HTML_MAX_CHARS = 1_000_000
_NO_BODY = object()
#: Failures after which a request that is safe to repeat is tried again.
_RETRIED_FAILURES = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
_UNSET: Any = object()


#: ``(monotonic end, seconds)`` of the innermost :func:`time_limit` block, if any.
_TIME_LIMIT: ContextVar[tuple[float, float] | None] = ContextVar("speckle_time_limit", default=None)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Every request made in this block ends within ``seconds`` from its start, all together.

    The block's limit applies to requests of the current thread and of the worker threads that
    bulk transfers (``send``, ``receive``, ``objects.create``, ``objects.get_bulk``) start from
    it; each request also keeps its own ``deadline``. Nested blocks keep the nearest end.
    ``None`` adds no limit.

    Example::

        with time_limit(60):
            result = client.receive(stream_id)   # the whole receive, or SpeckleTimeoutError

    Arguments:
        seconds {float|None} -- the time the block's requests may take, from now

    Raises:
        SpeckleInputError -- ``seconds`` is not a positive number or None
    """
    checked = _check_deadline(seconds)
    if checked is None:
        yield
        return
    block = (time.monotonic() + checked, checked)
    outer = _TIME_LIMIT.get()
    token = _TIME_LIMIT.set(outer if outer is not None and outer[0] <= block[0] else block)
    try:
        yield
    finally:
        _TIME_LIMIT.reset(token)


def dumps_json(data: Any) -> bytes:
    """Serialise ``data`` to compact UTF-8 JSON, keeping key order and ``None`` values.

    Raises:
        SpeckleInputError -- when the data cannot be represented in JSON (NaN, a set, ...)
    """
    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise SpeckleInputError(f"cannot send this data as JSON: {exc}") from exc
    except RecursionError as exc:
        raise SpeckleInputError("cannot send this data as JSON: it is nested too deeply") from exc


class _TooDeep(ValueError):
    """A JSON document nested deeper than the decoders accept."""


def _loads(content: bytes, lean: bool = False) -> Any:
    """Parse a JSON response body (orjson when it can, the standard library otherwise, or
    when ``lean`` is set).

    Raises:
        ValueError -- the body is not JSON (:class:`_TooDeep` when it is nested too deeply)
    """
    if orjson is not None and not lean:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc) or "recursion" in str(exc).lower():
                raise _TooDeep(str(exc)) from None
            # e.g. integers beyond 64 bits, NaN, or another encoding: let json decide
    try:
        return json.loads(content)
    except RecursionError:
        raise _TooDeep("JSON nested too deeply") from None


def mask_secrets(text: str) -> str:
    """Replace every JWT-looking token in ``text`` with ``***``."""
    text = _JWT_RE.sub(lambda m: f"{m.group(1)} ***", text)
    return _BARE_JWT_RE.sub("***", text)


def _mask_payload(data: Any, depth: int = 0) -> Any:
    if depth > 8 and isinstance(data, (Mapping, list)):
        return "..."
    if isinstance(data, Mapping):
        return {
            k: ("***" if str(k).lower() in _SECRET_KEYS and v is not None else _mask_payload(v, depth + 1))
            for k, v in list(data.items())[:50]
        }
    if isinstance(data, list):
        return [_mask_payload(v, depth + 1) for v in data[:20]] + (["..."] if len(data) > 20 else [])
    if isinstance(data, str) and len(data) > 500:
        return data[:500]
    return data


def _describe_body(data: Any) -> str:
    return mask_secrets(json.dumps(_mask_payload(data), default=str)[:500])


def _element_text(text: str, lowered: str, tag: str) -> str | None:
    """The text between the first ``<tag>`` and the next ``</tag>`` (case-insensitive), if any."""
    start = lowered.find(f"<{tag}>")
    if start < 0:
        return None
    start += len(tag) + 2
    end = lowered.find(f"</{tag}>", start)
    return None if end < 0 else text[start:end]


def html_to_text(text: str) -> str:
    """Extract the readable message of an HTML error page (Express puts it in ``<pre>``).

    Takes time linear in the length of the page (only its first 1 MB is read), whatever it holds.
    """
    text = text[:_HTML_MAX_CHARS]
    lowered = text.lower()
    found = _element_text(text, lowered, "pre")
    if found is None:
        found = _element_text(text, lowered, "title")
    raw = found if found is not None else _HTML_TAG_RE.sub(" ", text)
    raw = raw.replace("<br>", " ").replace("&nbsp;", " ")
    raw = _HTML_TAG_RE.sub(" ", raw)
    for entity, char in (("&quot;", '"'), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        raw = raw.replace(entity, char)
    first = " ".join(raw.split())
    # stack traces follow the message after "at ..." frames; keep the message itself
    cut = first.find(" at ")
    return first[:cut] if cut > 0 else first[:300]


def extract_message(payload: Any, text: str, reason: str) -> str:
    """Render a server's error message as a string, whatever shape the server used."""
    if isinstance(payload, Mapping):
        message = payload.get("message", payload.get("error"))
        if isinstance(message, str) and message not in ("", "{}"):
            return utf8_safe(message)
        if isinstance(message, Mapping) and message.get("message"):
            inner = message["message"]
            return utf8_safe(inner) if isinstance(inner, str) else preview(inner, 300)
        if isinstance(message, Mapping) and set(message) <= {"level", "timestamp"}:
            # an error object the server's logger decorated before sending it (project deletes)
            return f"{reason} (the server gave no details)"
        if message in (None, {}, "{}", ""):
            return f"{reason} (the server gave no details)"
        return preview(message, 300)
    if payload is not _NO_BODY and payload is not None:
        return preview(payload, 300)
    stripped = text.strip()
    if not stripped:
        return reason or "no response body"
    if stripped.startswith("<"):
        return html_to_text(stripped) or reason
    return stripped[:300]


class Transport:
    """Sends requests to one Speckle server.

    Arguments:
        base_url {str} -- the API base, e.g. ``https://speckle.example.com/api/v1``

    Keyword Arguments:
        root_url {str} -- the server root for routes outside the API base, e.g. ``/api/plugins``
            (default: {base_url without its ``/api...`` suffix})
        timeout {float|tuple} -- seconds, or ``(connect, read)`` seconds, for every request
        deadline {float|None} -- seconds one call may last in all, however slowly the server
            answers (retries and backoff included); None disables it (default: {300})
        max_retries {int} -- retries of a safe request; 0 disables retrying
        backoff_factor {float} -- first backoff delay in seconds, doubled at each retry
        backoff_max {float} -- upper bound of one backoff delay in seconds
        gzip_threshold {int|None} -- gzip request bodies of at least this many bytes; None disables
        verbose {bool} -- log every request and response at INFO level (tokens masked)
        session {requests.Session} -- a session to use instead of a new one
        pool_size {int} -- connections kept per host, for parallel transfers
    """

    def __init__(
        self,
        base_url: str,
        *,
        root_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        gzip_threshold: int | None = None,
        verbose: bool = False,
        session: requests.Session | None = None,
        pool_size: int = 16,
    ) -> None:
        if max_retries < 0:
            raise SpeckleInputError(f"max_retries must be 0 or more, got {max_retries!r}")
        self.base_url = base_url.rstrip("/")
        self.root_url = (root_url or re.sub(r"/api(/v\d+)?$", "", self.base_url)).rstrip("/")
        self.timeout = timeout
        self.deadline = _check_deadline(deadline)
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.gzip_threshold = gzip_threshold
        self.verbose = verbose
        self.session = session or requests.Session()
        adapter = DeadlineAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": f"speckle-python/{__version__}", "Accept": "application/json"})
        self._token: str | None = None
        self._sleep: Callable[[float], None] = time.sleep
        #: settings of requests per server, from the session and the environment (see _environment)
        self._settings: dict[tuple[Any, ...], dict[str, Any]] = {}

    # -- credentials -------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The value sent as the ``Authorization`` header (``JWT ...``), or None."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        if value:
            self.session.headers["Authorization"] = value
        else:
            self.session.headers.pop("Authorization", None)

    # -- requests ----------------------------------------------------------------------------

    def url_for(self, path: str, *, root: bool = False) -> str:
        """Absolute URL of ``path`` under the API base (or under the server root)."""
        if path.startswith(("http://", "https://")):
            return path
        base = self.root_url if root else self.base_url
        return base + (path if path.startswith("/") else "/" + path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: str | Iterable[tuple[str, str]] | None = None,
        json_body: Any = _NO_BODY,
        retry: bool | None = None,
        timeout: Timeout | None = None,
        root: bool = False,
        headers: Mapping[str, str] | None = None,
        json_bytes: bytes | None = None,
        deadline: float | None = _UNSET,
        lean: bool = False,
        on_response: Callable[[requests.Response], Any] | None = None,
    ) -> Any:
        """Send one request and return the parsed JSON body.

        Arguments:
            method {str} -- the HTTP method
            path {str} -- a path under the API base (``/streams``) or an absolute URL

        Keyword Arguments:
            params {str|iterable} -- an encoded query string or ``(key, value)`` pairs
            json_body {Any} -- the JSON body; omit to send none
            retry {bool|None} -- force (True) or forbid (False) retrying; None retries
                idempotent methods only
            timeout {float|tuple} -- overrides the transport's timeout for this request
            root {bool} -- resolve ``path`` under the server root instead of the API base
            headers {dict} -- extra headers
            json_bytes {bytes} -- a body already serialised to JSON (used instead of ``json_body``)
            deadline {float|None} -- overrides the transport's deadline for this call
            lean {bool} -- parse the answer with the standard library's ``json``: a little slower,
                but without the parse buffer ``orjson`` reserves (about twelve times the body's
                size), for large answers made of small strings such as a stream's placeholders
            on_response {callable} -- called with the final HTTP response (after retries), before
                its body is decoded, e.g. to read a header such as ``Date``

        Returns:
            Any -- the decoded JSON document

        Raises:
            SpeckleError -- a typed error for every failure
        """
        method = method.upper()
        url = self.url_for(path, root=root)
        if isinstance(params, str):
            if params:
                url = f"{url}?{params}"
            params = None
        body: bytes | None = None
        req_headers: dict[str, str] = dict(headers or {})
        if json_bytes is not None or json_body is not _NO_BODY:
            body = json_bytes if json_bytes is not None else dumps_json(json_body)
            req_headers["Content-Type"] = "application/json; charset=utf-8"
            if self.gzip_threshold is not None and len(body) >= self.gzip_threshold:
                body = gzip.compress(body, compresslevel=1)
                req_headers["Content-Encoding"] = "gzip"
        can_retry = (method in IDEMPOTENT_METHODS) if retry is None else retry
        attempts = 1 + (self.max_retries if can_retry else 0)
        log_level = logging.INFO if self.verbose else logging.DEBUG
        limit = self.deadline if deadline is _UNSET else _check_deadline(deadline)
        ends = None if limit is None else time.monotonic() + limit
        block = _TIME_LIMIT.get()
        if block is not None and (ends is None or block[0] < ends):
            ends, limit = block  # a time_limit() block ends first
        safe_url = mask_secrets(url)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if deadline_passed(ends):
                raise SpeckleTimeoutError(
                    f"no complete answer within the deadline of {limit:g}s", method=method, url=safe_url
                )
            if logger.isEnabledFor(log_level):
                shown = "" if json_body is _NO_BODY else " " + _describe_body(json_body)
                if json_bytes is not None:
                    shown = f" <{len(json_bytes)} bytes of JSON>"
                logger.log(log_level, "-> %s %s%s", method, safe_url, shown)
            started = time.monotonic()
            attempt_timeout = _within(self.timeout if timeout is None else timeout, ends)
            try:
                with deadline_scope(ends):
                    response = self._send(method, url, params, body, req_headers, attempt_timeout)
            except Exception as exc:  # requests lets ValueError, UnicodeError... escape
                error = self._failure(exc, method, safe_url, limit, ends, timeout)
                if not last and isinstance(exc, _RETRIED_FAILURES) and not deadline_passed(ends):
                    why = "timeout" if isinstance(error, SpeckleTimeoutError) else "connection error"
                    if self._backoff(attempt, None, method, url, why, ends):
                        continue
                raise error from exc
            if logger.isEnabledFor(log_level):
                logger.log(
                    log_level,
                    "<- %s %s %s (%d bytes, %.0f ms)",
                    response.status_code,
                    method,
                    safe_url,
                    len(response.content),
                    (time.monotonic() - started) * 1000,
                )
            if (
                response.status_code in RETRY_STATUSES
                and not last
                and self._backoff(attempt, response.headers.get("Retry-After"), method, url,
                                  str(response.status_code), ends)
            ):
                continue
            if on_response is not None:
                on_response(response)
            return self._decode(method, url, response, lean)
        raise RuntimeError("unreachable: every attempt returns, retries or raises")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        params: Iterable[tuple[str, str]] | None,
        body: bytes | None,
        headers: dict[str, str],
        timeout: Timeout,
    ) -> requests.Response:
        """One HTTP exchange through the session, the answer's body read whole.

        What ``session.request`` does, with the environment's settings looked up once per server
        (see :meth:`_environment`) and the body read in one piece (``requests`` reads it 10 KB at
        a time, which for large answers costs more CPU than parsing them).
        """
        session = self.session
        prepared = session.prepare_request(requests.Request(method, url, params=params, data=body, headers=headers))
        settings = self._environment(prepared.url or url)
        response = session.send(prepared, timeout=timeout, allow_redirects=True, stream=True, **settings)
        _read_body(response)
        return response

    def _environment(self, url: str) -> dict[str, Any]:
        """The proxies, ``verify`` and ``cert`` of requests to ``url``'s server.

        ``requests`` reads them from the session and, when ``session.trust_env`` is set (the
        default), from the environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``...)
        at every request, scanning every environment variable each time. Here they are read
        once per server and per value of the session's own settings.
        """
        session = self.session
        parts = urlsplit(url)
        key = (
            parts.scheme,
            parts.netloc,
            session.trust_env,
            tuple(sorted((session.proxies or {}).items())),
            repr(session.verify),
            repr(session.cert),
        )
        settings = self._settings.get(key)
        if settings is None:
            settings = session.merge_environment_settings(url, {}, None, None, None)
            settings.pop("stream", None)
            if len(self._settings) >= 64:  # a client talks to one server; stay bounded anyway
                self._settings.clear()
            self._settings[key] = settings
        return {name: dict(value) if isinstance(value, dict) else value for name, value in settings.items()}

    def _failure(
        self,
        exc: Exception,
        method: str,
        safe_url: str,
        limit: float | None,
        ends: float | None,
        timeout: Timeout | None,
    ) -> SpeckleError:
        """The typed error for an exception raised while sending a request or reading its answer."""
        context = {"method": method, "url": safe_url}
        if isinstance(exc, SpeckleError):
            return exc
        if deadline_passed(ends) or _caused_by(exc, DeadlineExceeded):
            return SpeckleTimeoutError(f"no complete answer within the deadline of {limit:g}s", **context)
        if isinstance(exc, requests.Timeout):
            shown = self.timeout if timeout is None else timeout
            return SpeckleTimeoutError(f"the server did not answer within {shown}s", **context)
        if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return SpeckleConnectionError(f"could not reach the server: {_short_reason(exc)}", **context)
        if isinstance(exc, requests.exceptions.TooManyRedirects):
            return SpeckleResponseError(f"the server redirected too many times: {_short_reason(exc)}", **context)
        if isinstance(exc, requests.RequestException):
            return SpeckleConnectionError(f"request failed: {_short_reason(exc)}", **context)
        # not a requests exception: e.g. ValueError or UnicodeDecodeError of a malformed redirect
        # (``Location: //[::1``, non-ASCII bytes), or a codec error inside urllib3
        return SpeckleResponseError(
            f"the server's answer could not be processed ({type(exc).__name__}: {_short_reason(exc)}); "
            "a malformed redirect or header?",
            **context,
        )

    def _backoff(
        self, attempt: int, retry_after: str | None, method: str, url: str, why: str, ends: float | None = None
    ) -> bool:
        """Sleep before the next attempt; False (no sleep) when the deadline leaves no time for one."""
        delay = min(self.backoff_max, self.backoff_factor * (2**attempt))
        delay = delay / 2 + random.uniform(0, delay / 2)
        if retry_after:
            try:
                delay = max(delay, min(float(retry_after), 60.0))
            except ValueError:
                pass
        if ends is not None and time.monotonic() + delay >= ends:
            logger.warning("%s %s failed (%s); no retry: the deadline is near", method, mask_secrets(url), why)
            return False
        logger.warning(
            "%s %s failed (%s); retry %d/%d in %.2fs",
            method,
            mask_secrets(url),
            why,
            attempt + 1,
            self.max_retries,
            delay,
        )
        self._sleep(delay)
        return True

    def _decode(self, method: str, url: str, response: requests.Response, lean: bool = False) -> Any:
        status = response.status_code
        content = response.content
        payload: Any = _NO_BODY
        too_deep = False
        if content:
            try:
                payload = _loads(content, lean)
            except _TooDeep:
                too_deep = True
            except ValueError:
                payload = _NO_BODY
        del content
        safe_url = mask_secrets(url)
        if 200 <= status < 300:
            if payload is not _NO_BODY and not (isinstance(payload, dict) and payload.get("success") is False):
                return payload  # the common case: no text decoding of (possibly large) bodies
        text = _body_text(response)
        if 200 <= status < 300:
            if too_deep:
                raise SpeckleResponseError(
                    "the server's answer is JSON nested more deeply than the client accepts (about 1,000 levels)",
                    status_code=status,
                    method=method,
                    url=safe_url,
                    body=text,
                )
            if payload is _NO_BODY:
                kind = response.headers.get("Content-Type", "no content type")
                snippet = " ".join(text.split())[:120]
                raise SpeckleResponseError(
                    f"expected a JSON body but the server answered {kind}: {snippet!r}"
                    if text
                    else "expected a JSON body but the server answered with an empty body",
                    status_code=status,
                    method=method,
                    url=safe_url,
                    body=text,
                )
            if isinstance(payload, dict) and payload.get("success") is False:
                raise error_for_response(
                    status,
                    extract_message(payload, text, response.reason or ""),
                    method=method,
                    url=safe_url,
                    body=text,
                    payload=payload,
                )
            return payload
        if status == 400 and isinstance(payload, dict) and payload.get("success") is True:
            # v1 quirk: GET /streams/:id/delta/:other answers 400 with a usable body
            logger.warning(
                "%s %s: HTTP 400 with success=true: %s", method, safe_url, preview(payload.get("message"))
            )
            return payload
        raise error_for_response(
            status,
            extract_message(payload, text, response.reason or f"HTTP {status}"),
            method=method,
            url=safe_url,
            body=text,
            payload=None if payload is _NO_BODY else payload,
        )

    def close(self) -> None:
        """Close the underlying session and its connections."""
        self.session.close()

    def __repr__(self) -> str:
        return (
            f"<Transport {self.base_url} timeout={self.timeout} deadline={self.deadline} retries={self.max_retries}>"
        )


def _read_body(response: requests.Response) -> None:
    """Read a streamed answer's body in one piece; it is then ``response.content`` as usual.

    ``response.content`` would read it in 10 KB chunks; ``iter_content(None)`` reads what the
    server sent at once (decompressing it if needed, with the errors ``requests`` raises). Hooks
    that already read the body leave nothing to do.
    """
    if response._content_consumed or response._content is not False:
        return
    try:
        response._content = b"".join(response.iter_content(chunk_size=None))
    except BaseException:
        response.close()
        raise


def _body_text(response: requests.Response) -> str:
    """The body as text, decoded without guessing (UTF-8 unless the server names a usable charset)."""
    if not response.content:
        return ""
    charset = response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
    return decode_text(response.content, charset)


def _check_deadline(deadline: Any) -> float | None:
    if deadline is None:
        return None
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0:
        raise SpeckleInputError(f"deadline must be a positive number of seconds or None, got {deadline!r}")
    return float(deadline)


def _within(timeout: Timeout, ends: float | None) -> Timeout:
    """``timeout`` shortened to the time left before ``ends`` (at least a millisecond)."""
    if ends is None:
        return timeout
    left = max(ends - time.monotonic(), 0.001)
    if isinstance(timeout, tuple):
        return tuple(left if part is None else min(part, left) for part in timeout)  # type: ignore[return-value]
    return left if timeout is None else min(timeout, left)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """True when ``exc`` or an exception it was raised from (or wraps, as urllib3 does) is a ``kind``."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen or len(seen) > 50:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        todo.extend((current.__cause__, current.__context__, getattr(current, "reason", None)))
        todo.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if match:
        return match.group(1).strip()
    return mask_secrets(text)[:200]
