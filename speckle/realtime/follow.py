"""``StreamFollower``: a stream's current model, kept up to date live.

A follower combines a :class:`~speckle.realtime.listener.StreamListener` with
:func:`speckle.transfer.receive` and its record of received objects: it gives the stream's
model at once, then a :class:`StreamChange` whenever the stream changed, that is after the
``update-...`` broadcasts v1 connectors send once they have written a stream (``update-global``,
``update-children``, ``update-meta``...) and after every reconnection (a broadcast may have been
missed meanwhile). Each check asks the server for the versions of the stream's objects and
downloads only those that are new or changed, so a change of 1% of a large model costs about 1%
of receiving it. Broadcasts that arrive in a burst (or while a change is being received) are
coalesced into one check.

Example::

    with client.follow(stream_id) as follower:
        for change in follower:
            print(change.reason, len(change.added), len(change.removed), len(change.changed))
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from speckle.errors import SpeckleConnectionError, SpeckleInputError, SpeckleTimeoutError

from .events import Broadcast, Event, Reconnected
from .listener import StreamListener

if TYPE_CHECKING:
    from speckle.client import SpeckleApiClient
    from speckle.models.resources import Stream
    from speckle.transfer import ReceiveResult

__all__ = ["StreamChange", "StreamFollower", "is_update_event"]

log = logging.getLogger(__name__)

#: Reason of the first change: the model as it was when following started.
INITIAL = "initial"
#: Reason of a check made after the listener reconnected.
RECONNECTED = "reconnected"


def is_update_event(event: Event, stream_id: str) -> bool:
    """Whether an event says that a stream was written: a broadcast to the stream's room whose
    ``eventType`` starts with ``update`` (``update-global``, ``update-children``, ...).

    Arguments:
        event {Event} -- a listener event
        stream_id {str} -- the followed stream

    Returns:
        bool -- True for the stream's update broadcasts
    """
    if not isinstance(event, Broadcast):
        return False
    if event.room not in (f"stream-{stream_id}", None):
        return False
    kind = event.event_type
    return isinstance(kind, str) and kind.startswith("update")


@dataclass
class StreamChange:
    """One state of a followed stream, and what changed since the previous one.

    Objects are compared by id: an object changed in place (same id, new ``updatedAt``) is in
    ``changed``; an object the stream no longer lists, or that was deleted, is in ``removed``
    (as it was); an object the stream lists anew is in ``added``. The first change of a
    follower has every object in ``added``.

    Attributes:
        stream {Stream} -- the stream's fields and layers
        result {ReceiveResult} -- the whole model (``result.objects``, in stream order)
        added {list} -- objects new to the stream
        removed {list} -- objects of the previous state no longer in the stream, or deleted
        changed {list} -- objects changed in place, in their new version
        reason {str} -- ``initial``, ``reconnected``, or the ``eventType`` of the broadcasts that
            led to this check (several joined by ``,``)
        events {int} -- broadcasts coalesced into this check
        seconds {float} -- the time taken to receive it
    """

    stream: Stream
    result: ReceiveResult
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    changed: list[Any] = field(default_factory=list)
    reason: str = INITIAL
    events: int = 0
    seconds: float = 0.0
    #: ``time.time()`` when the change was made
    received_at: float = field(default_factory=time.time)

    @property
    def objects(self) -> list[Any]:
        """Every object of the stream now, in stream order."""
        return self.result.objects

    @property
    def initial(self) -> bool:
        """Whether this is the first state given by the follower."""
        return self.reason == INITIAL

    def __repr__(self) -> str:
        return (
            f"<StreamChange stream={self.stream.streamId!r} reason={self.reason!r} objects={len(self.objects)} "
            f"added={len(self.added)} removed={len(self.removed)} changed={len(self.changed)}>"
        )


class StreamFollower:
    """Follows a stream: its current model, then a :class:`StreamChange` whenever it changes.

    Usually made with :meth:`speckle.SpeckleApiClient.follow`. Iterate over it (``for change in
    follower``) or call :meth:`next_change`; close it (or use it as a context manager) to stop
    the listener. Successive changes share the objects that did not change (the same
    instances): copy an object before modifying it.

    Arguments:
        client {SpeckleApiClient} -- the client that receives the stream
        listener {StreamListener} -- a listener of the stream (not started yet, or started)

    Keyword Arguments:
        raw {bool} -- plain dicts instead of models (default: {False})
        use_cache {bool} -- use the record of received objects (default: {True})
        debounce {float} -- seconds without a new broadcast before checking (default: {0.05})
        max_delay {float} -- the longest a burst of broadcasts delays a check (default: {1.0})
        ready_timeout {float} -- seconds to wait for the listener before the first
            receive (default: {10.0})
        retry_after {float} -- seconds before checking again after a failed check (default: {2.0})
    """

    def __init__(
        self,
        client: SpeckleApiClient,
        listener: StreamListener,
        *,
        raw: bool = False,
        use_cache: bool = True,
        debounce: float = 0.05,
        max_delay: float = 1.0,
        ready_timeout: float = 10.0,
        retry_after: float = 2.0,
    ) -> None:
        if debounce < 0 or max_delay < debounce:
            raise SpeckleInputError("a follower needs 0 <= debounce <= max_delay")
        self.client = client
        self.listener = listener
        self.stream_id = listener.stream_id
        self.raw = raw
        self.use_cache = use_cache
        self.debounce = debounce
        self.max_delay = max_delay
        self.ready_timeout = ready_timeout
        self.retry_after = retry_after
        #: The last state given (None before the first).
        self.current: StreamChange | None = None
        self._cond = threading.Condition()
        self._reasons: list[str] = []
        self._first_trigger: float | None = None
        self._last_trigger = 0.0
        self._retry_at: float | None = None
        listener.on(Event, self._on_event)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> StreamFollower:
        """Start the listener (the first change is received on the first :meth:`next_change`)."""
        self.listener.start()
        return self

    def close(self) -> None:
        """Stop the listener; iteration ends."""
        self.listener.close()
        with self._cond:
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called or the listener gave up."""
        return self.listener.closed

    def __enter__(self) -> StreamFollower:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<StreamFollower stream={self.stream_id!r} {'closed' if self.closed else 'open'}>"

    # -- events ---------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, Reconnected):
            reason = RECONNECTED
        elif is_update_event(event, self.stream_id):
            reason = str(event.event_type)  # type: ignore[attr-defined]
        else:
            return
        now = time.monotonic()
        with self._cond:
            self._reasons.append(reason)
            if self._first_trigger is None:
                self._first_trigger = now
            self._last_trigger = now
            self._cond.notify_all()

    def _wait_for_trigger(self, deadline: float | None) -> tuple[list[str], bool] | None:
        """Wait for broadcasts (or a retry), then for the burst to end; None on timeout or close."""
        with self._cond:
            while True:
                if self.closed:
                    return None
                now = time.monotonic()
                if self._first_trigger is not None:
                    quiet = self._last_trigger + self.debounce
                    latest = self._first_trigger + self.max_delay
                    ready_at = min(quiet, latest)
                    if now >= ready_at:
                        reasons, self._reasons = self._reasons, []
                        self._first_trigger = None
                        self._retry_at = None
                        return reasons, False
                    wake = ready_at
                elif self._retry_at is not None and now >= self._retry_at:
                    self._retry_at = None
                    return ["retry"], True
                else:
                    wake = self._retry_at if self._retry_at is not None else float("inf")
                if deadline is not None:
                    if now >= deadline:
                        return None
                    wake = min(wake, deadline)
                self._cond.wait(None if wake == float("inf") else max(0.0, wake - now))

    # -- changes --------------------------------------------------------------------------------
    def next_change(self, timeout: float | None = None) -> StreamChange | None:
        """The next state of the stream: the current model at the first call, then the next change.

        Broadcasts that bring no change (the stream and its objects are as before) give
        nothing; the wait goes on.

        Keyword Arguments:
            timeout {float|None} -- seconds to wait for a change; None waits until :meth:`close`
                (default: {None})

        Returns:
            StreamChange|None -- the change, or None on timeout or once closed

        Raises:
            SpeckleError -- the stream cannot be read (deleted, no permission...)
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.current is None:
            self.start()
            self.listener.wait_ready(self.ready_timeout if deadline is None else
                                     max(0.0, min(self.ready_timeout, deadline - time.monotonic())))
            with self._cond:  # broadcasts before the first receive are covered by it
                self._reasons, self._first_trigger = [], None
            started = time.perf_counter()
            result = self.client.receive(self.stream_id, raw=self.raw, use_cache=self.use_cache)
            self.current = StreamChange(result.stream, result, added=_available(result),
                                        seconds=time.perf_counter() - started)
            return self.current
        while True:
            trigger = self._wait_for_trigger(deadline)
            if trigger is None:
                return None
            reasons, _ = trigger
            change = self._check(self.current, reasons)
            if change is not None:
                return change

    def _check(self, current: StreamChange, reasons: list[str]) -> StreamChange | None:
        """Receive the stream again; the change since the current state, or None if nothing changed."""
        previous = current.result
        started = time.perf_counter()
        try:
            result = self.client.receive(self.stream_id, raw=self.raw, use_cache=self.use_cache, previous=previous)
        except (SpeckleConnectionError, SpeckleTimeoutError) as exc:
            log.warning("stream %s: could not check for changes (%s); retrying in %.1fs",
                        self.stream_id, exc, self.retry_after)
            with self._cond:
                self._retry_at = time.monotonic() + self.retry_after
            return None
        seconds = time.perf_counter() - started
        change = _compare(previous, result)
        change.reason = ",".join(dict.fromkeys(r for r in reasons if r != "retry")) or RECONNECTED
        change.events = sum(1 for r in reasons if r not in ("retry", RECONNECTED))
        change.seconds = seconds
        if not (change.added or change.removed or change.changed) and \
                result.stream.updatedAt == previous.stream.updatedAt:
            log.debug("stream %s: checked after %s, nothing changed", self.stream_id, change.reason)
            current.result = result  # newer versions known (e.g. settled ones)
            return None
        self.current = change
        return change

    def changes(self, timeout: float | None = None) -> Iterator[StreamChange]:
        """Iterate over states until none comes for ``timeout`` seconds or the follower closes.

        Keyword Arguments:
            timeout {float|None} -- the longest wait for one change; None waits until
                :meth:`close` (default: {None})

        Returns:
            Iterator[StreamChange] -- the current model first, then each change
        """
        while True:
            change = self.next_change(timeout)
            if change is None:
                return
            yield change

    def __iter__(self) -> Iterator[StreamChange]:
        return self.changes()


def _available(result: ReceiveResult) -> list[Any]:
    """The distinct objects of a result that the server delivered, in stream order."""
    missing = {result.ids[i] for i in result.missing}
    seen: set[str] = set()
    out = []
    for _id, obj in zip(result.ids, result.objects, strict=True):
        if _id not in seen and _id not in missing:
            seen.add(_id)
            out.append(obj)
    return out


def _compare(previous: ReceiveResult, result: ReceiveResult) -> StreamChange:
    """What differs between two results of a stream, by object id."""
    if previous.ids == result.ids and previous.missing == result.missing:  # objects changed in place only
        fetched = set(result.fetched)
        missing = {previous.ids[i] for i in previous.missing}
        changed, seen = [], set()
        if fetched:
            for position, _id in enumerate(result.ids):
                if _id in fetched and _id not in seen and _id not in missing:
                    seen.add(_id)
                    old, new = previous.objects[position], result.objects[position]
                    if old is not new and old != new:
                        changed.append(new)
        return StreamChange(result.stream, result, changed=changed)
    before_missing = {previous.ids[i] for i in previous.missing}
    after_missing = {result.ids[i] for i in result.missing}
    before = {i for i in previous.ids if i not in before_missing}
    after = {i for i in result.ids if i not in after_missing}
    added = [result.by_id(i) for i in dict.fromkeys(result.ids) if i in after and i not in before]
    removed = [previous.by_id(i) for i in dict.fromkeys(previous.ids) if i in before and i not in after]
    changed = []
    for _id in result.fetched:
        if _id in before and _id in after:
            old, new = previous.by_id(_id), result.by_id(_id)
            if old is not new and old != new:
                changed.append(new)
    return StreamChange(result.stream, result, added=added, removed=removed, changed=changed)
