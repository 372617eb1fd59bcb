"""``speckle objects``: read objects one by one or in bulk, and create them from JSON."""

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
    print_json,
    print_table,
    read_json,
)
from speckle.models.objects import DeniedObject

OBJECT_COLUMNS = [("id", "_id"), ("type", "type"), ("name", "name"), ("hash", "hash")]


def register(subparsers: Any) -> None:
    """Add ``objects get|bulk|create``."""
    group = add_group(subparsers, "objects", "read and create Speckle objects")

    parser = add_command(group, "get", "one object (its JSON document)", func=get_object)
    parser.add_argument("object_id")
    parser.add_argument("--fields", help="comma-separated fields to fetch, e.g. type,value")

    parser = add_command(
        group, "bulk", "many objects at once",
        description="Fetch many objects: ids as arguments, or a JSON list of ids (or placeholders)\n"
                    "with --ids FILE ('-' for stdin). Missing or unreadable objects are reported.",
        func=bulk_objects,
    )
    parser.add_argument("object_ids", nargs="*", metavar="OBJECT_ID")
    parser.add_argument("--ids", metavar="FILE", help="JSON list of ids ('-': stdin)")
    parser.add_argument("--fields", help="comma-separated fields to fetch")

    parser = add_command(
        group, "create", "create objects from JSON",
        description="Create objects from a JSON object or list of objects in FILE (default '-': stdin);\n"
                    "prints their ids in order.",
        func=create_objects,
    )
    parser.add_argument("file", nargs="?", default="-", metavar="FILE")


def _query(args: argparse.Namespace) -> dict[str, Any] | None:
    return {"fields": args.fields} if args.fields else None


def get_object(args: argparse.Namespace) -> int:
    """Print one object as JSON (objects are documents: JSON is their human form too)."""
    obj = connect(args, auth=False).objects.get(args.object_id, _query(args))
    print_json(obj)
    return 0


def bulk_objects(args: argparse.Namespace) -> int:
    """Fetch many objects."""
    ids: list[Any] = list(args.object_ids)
    if args.ids:
        listed = read_json(args.ids)
        if not isinstance(listed, list):
            raise CommandError("--ids must hold a JSON list of ids", EXIT_USAGE)
        ids.extend(listed)
    if not ids:
        raise CommandError("no object id given", EXIT_USAGE)
    objects = connect(args, auth=False).objects.get_bulk(ids, _query(args))
    missing = sum(isinstance(o, DeniedObject) for o in objects)

    def human() -> None:
        print_table(objects, OBJECT_COLUMNS)
        if missing:
            print(f"{missing} of {len(objects)} objects missing or not readable")

    return emit(args, objects, human)


def create_objects(args: argparse.Namespace) -> int:
    """Create objects and print their ids."""
    data = read_json(args.file)
    if not isinstance(data, (dict, list)) or (isinstance(data, list) and not all(isinstance(o, dict) for o in data)):
        raise CommandError("objects must be a JSON object or a JSON list of objects", EXIT_USAGE)
    created = connect(args).objects.create(data)
    placeholders = created if isinstance(created, list) else [created]

    def human() -> None:
        for placeholder in placeholders:
            print(placeholder.id)

    return emit(args, created, human)
