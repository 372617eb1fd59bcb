"""``speckle send FILE.json`` and ``speckle receive STREAM_ID``: a stream's objects to and from JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from speckle.cli.common import (
    EXIT_USAGE,
    CommandError,
    add_command,
    connect,
    emit,
    jsonable,
    print_json,
    progress,
    read_json,
)

#: Stream fields of a JSON file that ``send`` passes on (the server's own fields are dropped).
SENT_STREAM_FIELDS = ("name", "description", "tags", "baseProperties", "globalMeasures", "layers", "private")


def register(subparsers: Any) -> None:
    """Add ``send`` and ``receive``."""
    parser = add_command(
        subparsers, "send", "send objects from a JSON file to a new (or existing) stream",
        description=(
            "Send the objects of a JSON file ('-' for stdin): a list of objects, or a stream document\n"
            "{\"name\": ..., \"objects\": [...]} as 'speckle receive' writes. Objects go in parallel\n"
            "batches; ones this account already sent are not uploaded again."
        ),
        func=send,
    )
    parser.add_argument("file", metavar="FILE.json")
    parser.add_argument("--stream", metavar="STREAM_ID", help="replace the objects of this stream")
    parser.add_argument("--name", help="the stream's name (default: the file's, else the file name)")
    parser.add_argument("--no-cache", action="store_true", help="upload every object, even ones sent before")

    parser = add_command(
        subparsers, "receive", "write a stream and all its objects to a JSON file",
        description="Fetch a stream and its objects (in stream order) and write them as one JSON document.",
        func=receive,
    )
    parser.add_argument("stream_id")
    parser.add_argument("-o", "--output", metavar="FILE", default="-", help="where to write (default: stdout)")


def _bar(desc: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A ``progress(done, total)`` callback drawing a tqdm bar, and the function that closes it."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = progress(total, desc)
        bar.total = total
        bar.update(done - bar.n)

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def _objects_and_fields(data: Any) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get("objects"), list):
        return data["objects"], {k: data[k] for k in SENT_STREAM_FIELDS if data.get(k) is not None}
    raise CommandError("the file must hold a JSON list of objects or an object with an 'objects' list", EXIT_USAGE)


def send(args: argparse.Namespace) -> int:
    """Send a JSON file's objects."""
    objects, fields = _objects_and_fields(read_json(args.file))
    if args.name:
        fields["name"] = args.name
    elif "name" not in fields and args.stream is None and args.file != "-":
        fields["name"] = args.file.rsplit("/", 1)[-1].removesuffix(".json")
    client = connect(args)
    update, close = _bar("sending")
    try:
        result = client.send(objects, stream_id=args.stream, use_cache=not args.no_cache, progress=update, **fields)
    finally:
        close()
    summary = {"streamId": result.stream_id, "objects": len(result.placeholders), "uploaded": result.uploaded,
               "reused": result.reused, "seconds": round(result.seconds, 3)}
    return emit(args, summary, lambda: print(
        f"sent {summary['objects']} objects to stream {result.stream_id} "
        f"({result.uploaded} uploaded, {result.reused} already there) in {result.seconds:.2f}s"
    ))


def receive(args: argparse.Namespace) -> int:
    """Write a stream and its objects as JSON."""
    client = connect(args, auth=False)
    update, close = _bar("receiving")
    try:
        result = client.receive(args.stream_id, raw=True, progress=update)
    finally:
        close()
    document = {**jsonable(result.stream), "objects": result.objects}
    if args.output == "-":
        print_json(document)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc}", EXIT_USAGE) from exc
        summary = {"streamId": args.stream_id, "objects": len(result.objects), "missing": len(result.missing),
                   "file": args.output, "seconds": round(result.seconds, 3)}
        emit(args, summary, lambda: print(
            f"received {len(result.objects)} objects of stream {args.stream_id} into {args.output} "
            f"in {result.seconds:.2f}s"
        ))
    if result.missing:
        print(f"warning: {len(result.missing)} objects could not be read (deleted or private)", file=sys.stderr)
    return 0
