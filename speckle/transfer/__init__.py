"""Bulk transfers: batching, content hashing, the records of sent and received objects, ``send`` and ``receive``.

Most code uses these through the client::

    result = client.send(objects, name='Tower')           # SendResult: stream_id, placeholders
    model = client.receive(result.stream_id, raw=True)    # ReceiveResult: stream, objects

See :doc:`/performance` for what is sent, how it is cut and how fast it goes.
"""

from speckle.transfer.api import ReceiveResult, SendResult, receive, send, send_objects
from speckle.transfer.batching import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_COUNT,
    DEFAULT_FETCH_COUNT,
    Progress,
    TransferOptions,
    default_workers,
    fetch_objects,
    plan_batches,
    post_objects,
)
from speckle.transfer.cache import SentObjectCache
from speckle.transfer.encoding import encode_object, hash_object, object_fingerprint, object_hash
from speckle.transfer.received import ReceivedObjectCache
from speckle.transport import DEFAULT_GZIP_THRESHOLD

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_COUNT",
    "DEFAULT_FETCH_COUNT",
    "DEFAULT_GZIP_THRESHOLD",
    "Progress",
    "ReceiveResult",
    "ReceivedObjectCache",
    "SendResult",
    "SentObjectCache",
    "TransferOptions",
    "default_workers",
    "encode_object",
    "fetch_objects",
    "hash_object",
    "object_fingerprint",
    "object_hash",
    "plan_batches",
    "post_objects",
    "receive",
    "send",
    "send_objects",
]
