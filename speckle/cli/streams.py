"""``speckle streams``: list, read, create, update, delete, clone and compare streams."""

from __future__ import annotations

import argparse
from typing import Any

from speckle.cli.common import (
    EXIT_USAGE,
    CommandError,
    add_command,
    add_group,
    connect,
    emit,
    print_record,
    print_table,
    read_json,
)
from speckle.models.resources import Stream

STREAM_COLUMNS = [
    ("streamId", "streamId"), ("name", "name"), ("private", "private"), ("updated", "updatedAt"),
]


def register(subparsers: Any) -> None:
    """Add ``streams list|get|create|update|delete|clone|diff``."""
    group = add_group(subparsers, "streams", "list, read, create, update, delete, clone and compare streams")

    parser = add_command(group, "list", "the streams you own or that are shared with you", func=list_streams)
    parser.add_argument("--query", help="a v1 list query, e.g. 'name=Tower&sort=-updatedAt&limit=10'")

    parser = add_command(group, "get", "one stream (--objects lists its objects)", func=get_stream)
    parser.add_argument("stream_id")
    parser.add_argument("--objects", action="store_true", help="also list the stream's objects")

    parser = add_command(
        group, "create", "create a stream",
        description="Create a stream. --data FILE (or - for stdin) gives its fields as a JSON object, or\n"
                    "its objects as a JSON list; --name, --description and --private override them.",
        func=create_stream,
    )
    _add_field_options(parser)

    parser = add_command(group, "update", "change a stream's fields or objects", func=update_stream)
    parser.add_argument("stream_id")
    _add_field_options(parser)

    parser = add_command(group, "delete", "delete a stream (and its clones, as v1 servers do)",
                         func=delete_stream)
    parser.add_argument("stream_id")

    parser = add_command(group, "clone", "copy a stream", func=clone_stream)
    parser.add_argument("stream_id")
    parser.add_argument("--name", help="the clone's name")

    parser = add_command(group, "diff", "the objects and layers two streams share or not", func=diff_streams)
    parser.add_argument("stream_id")
    parser.add_argument("other_id")


def _add_field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE", help="JSON object of fields, or list of objects ('-': stdin)")
    parser.add_argument("--name", help="the stream's name")
    parser.add_argument("--description", help="the stream's description")
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="private", action="store_true", default=None,
                            help="only its owner and the users it is shared with can read it")
    visibility.add_argument("--public", dest="private", action="store_false", help="anyone can read it")


def stream_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The stream fields given by ``--data``, ``--name``, ``--description``, ``--private``."""
    fields: dict[str, Any] = {}
    if args.data:
        data = read_json(args.data)
        if isinstance(data, list):
            fields["objects"] = data
        elif isinstance(data, dict):
            fields.update(data)
        else:
            raise CommandError("--data must hold a JSON object (fields) or a JSON list (objects)", EXIT_USAGE)
    for key in ("name", "description", "private"):
        if getattr(args, key) is not None:
            fields[key] = getattr(args, key)
    return fields


def list_streams(args: argparse.Namespace) -> int:
    """List the user's streams."""
    streams = connect(args).streams.list(args.query)
    return emit(args, streams, lambda: print_table(streams, STREAM_COLUMNS, empty="no stream"))


def _stream_pairs(stream: Stream) -> list[tuple[str, Any]]:
    return [
        ("streamId", stream.streamId), ("name", stream.name), ("description", stream.description),
        ("private", stream.private), ("owner", stream.owner),
        ("objects", len(stream.objects or [])), ("layers", len(stream.layers or [])),
        ("parent", stream.parent), ("children", stream.children),
        ("created", stream.get("createdAt")), ("updated", stream.get("updatedAt")),
    ]


def get_stream(args: argparse.Namespace) -> int:
    """Show one stream."""
    client = connect(args, auth=False)
    stream = client.streams.get(args.stream_id)
    objects = client.streams.list_objects(args.stream_id) if args.objects else None
    data: Any = stream if objects is None else {**stream.to_payload(), "objects": objects}

    def human() -> None:
        print_record(_stream_pairs(stream))
        if objects is not None:
            print()
            print_table(objects, [("id", "_id"), ("type", "type"), ("name", "name")], empty="no object")

    return emit(args, data, human)


def create_stream(args: argparse.Namespace) -> int:
    """Create a stream."""
    stream = connect(args).streams.create(stream_fields(args))
    return emit(args, stream, lambda: print(
        f"created stream {stream.streamId} {stream.name or ''!r} with {len(stream.objects or [])} objects"
    ))


def update_stream(args: argparse.Namespace) -> int:
    """Update a stream's fields."""
    fields = stream_fields(args)
    if not fields:
        raise CommandError("nothing to update: give --name, --description, --private/--public or --data",
                           EXIT_USAGE)
    answer = connect(args).streams.update(args.stream_id, fields)
    return emit(args, answer, lambda: print(f"updated stream {args.stream_id}: {', '.join(sorted(fields))}"))


def delete_stream(args: argparse.Namespace) -> int:
    """Delete a stream."""
    answer = connect(args).streams.delete(args.stream_id)
    deleted = answer.get("deletedStreams") or [args.stream_id]
    return emit(args, answer, lambda: print(f"deleted stream(s): {', '.join(map(str, deleted))}"))


def clone_stream(args: argparse.Namespace) -> int:
    """Clone a stream."""
    clone, parent = connect(args).streams.clone(args.stream_id, name=args.name)
    return emit(args, {"clone": clone, "parent": parent},
                lambda: print(f"cloned {parent.streamId} into {clone.streamId} {clone.name or ''!r}"))


def diff_streams(args: argparse.Namespace) -> int:
    """Compare two streams."""
    diff = connect(args, auth=False).streams.diff(args.stream_id, args.other_id)
    rows = [
        {"what": what, "common": len(part.common), "only_a": len(part.inA), "only_b": len(part.inB)}
        for what, part in (("objects", diff.objects), ("layers", diff.layers))
    ]
    return emit(args, diff, lambda: print_table(rows, [
        ("", "what"), ("common", "common"), (f"only in {args.stream_id}", "only_a"),
        (f"only in {args.other_id}", "only_b"),
    ]))
