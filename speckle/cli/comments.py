"""``speckle comments``: read and write the comments of streams, objects, projects and users."""

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
)
from speckle.resources.comments import RESOURCE_TYPES

COMMENT_COLUMNS = [
    ("id", "_id"), ("text", "text"), ("on", lambda c: f"{c.resource.resourceType}/{c.resource.resourceId}"
                                      if c.resource else None),
    ("closed", "closed"),
]


def register(subparsers: Any) -> None:
    """Add ``comments list|get|create|update|delete|assigned``."""
    group = add_group(subparsers, "comments", "read and write comments on streams, objects, projects...")
    parser = add_command(group, "list", "the comments on a resource", func=list_comments)
    parser.add_argument("resource_type", choices=RESOURCE_TYPES)
    parser.add_argument("resource_id", help="a streamId for streams, an id for anything else")
    parser = add_command(group, "create", "comment on a resource", func=create_comment)
    parser.add_argument("resource_type", choices=RESOURCE_TYPES)
    parser.add_argument("resource_id")
    parser.add_argument("text")
    parser = add_command(group, "get", "one of your comments", func=get_comment)
    parser.add_argument("comment_id")
    parser = add_command(group, "update", "change one of your comments", func=update_comment)
    parser.add_argument("comment_id")
    parser.add_argument("--text")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--close", dest="closed", action="store_true", default=None)
    state.add_argument("--reopen", dest="closed", action="store_false")
    parser = add_command(group, "delete", "delete one of your comments", func=delete_comment)
    parser.add_argument("comment_id")
    add_command(group, "assigned", "the comments assigned to you", func=assigned_comments)


def list_comments(args: argparse.Namespace) -> int:
    """List a resource's comments."""
    comments = connect(args, auth=False).comments.list_for(args.resource_type, args.resource_id)
    return emit(args, comments, lambda: print_table(comments, COMMENT_COLUMNS, empty="no comment"))


def create_comment(args: argparse.Namespace) -> int:
    """Comment on a resource."""
    comment = connect(args).comments.create_for(args.resource_type, args.resource_id, {"text": args.text})
    return emit(args, comment, lambda: print(f"created comment {comment.id}"))


def get_comment(args: argparse.Namespace) -> int:
    """Show a comment."""
    comment = connect(args).comments.get(args.comment_id)
    target = comment.resource
    return emit(args, comment, lambda: print_record([
        ("id", comment.id), ("text", comment.text),
        ("on", f"{target.resourceType}/{target.resourceId}" if target else None),
        ("closed", comment.closed), ("owner", comment.owner), ("created", comment.get("createdAt")),
    ]))


def update_comment(args: argparse.Namespace) -> int:
    """Edit a comment."""
    fields: dict[str, Any] = {}
    if args.text is not None:
        fields["text"] = args.text
    if args.closed is not None:
        fields["closed"] = args.closed
    if not fields:
        raise CommandError("nothing to update: give --text, --close or --reopen", EXIT_USAGE)
    answer = connect(args).comments.update(args.comment_id, fields)
    return emit(args, answer, lambda: print(f"updated comment {args.comment_id}"))


def delete_comment(args: argparse.Namespace) -> int:
    """Delete a comment."""
    answer = connect(args).comments.delete(args.comment_id)
    return emit(args, answer, lambda: print(f"deleted comment {args.comment_id}"))


def assigned_comments(args: argparse.Namespace) -> int:
    """List the comments assigned to the user."""
    comments = connect(args).comments.assigned()
    return emit(args, comments, lambda: print_table(comments, COMMENT_COLUMNS, empty="no comment"))
