"""``speckle projects``: groups of streams and of the users who may read or write them."""

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
    read_json_object,
)

PROJECT_COLUMNS = [("id", "_id"), ("name", "name"), ("streams", "streams"), ("private", "private")]
#: ``speckle projects <action> PROJECT_ID OTHER_ID`` -> resource method, what OTHER_ID is.
MEMBERSHIP = {
    "add-stream": ("add_stream", "STREAM_ID", "add a stream to a project"),
    "remove-stream": ("remove_stream", "STREAM_ID", "remove a stream from a project"),
    "add-user": ("add_user", "USER_ID", "give a user read access to the project's streams"),
    "remove-user": ("remove_user", "USER_ID", "take a user out of the project"),
    "upgrade-user": ("upgrade_user", "USER_ID", "give a member write access"),
    "downgrade-user": ("downgrade_user", "USER_ID", "take a member's write access back"),
}


def register(subparsers: Any) -> None:
    """Add ``projects list|get|create|update|delete`` and the membership commands."""
    group = add_group(subparsers, "projects", "list, create and change projects and their members")
    add_command(group, "list", "your projects", func=list_projects)
    parser = add_command(group, "get", "one project", func=get_project)
    parser.add_argument("project_id")
    parser = add_command(group, "create", "create a project", func=create_project)
    _add_field_options(parser)
    parser = add_command(group, "update", "change a project's fields", func=update_project)
    parser.add_argument("project_id")
    _add_field_options(parser)
    parser = add_command(group, "delete", "delete a project (its streams are kept)", func=delete_project)
    parser.add_argument("project_id")
    for action, (_, other, help_text) in MEMBERSHIP.items():
        parser = add_command(group, action, help_text, func=change_membership)
        parser.add_argument("project_id")
        parser.add_argument("other_id", metavar=other)
        parser.set_defaults(action=action)


def _add_field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE", help="JSON object of fields ('-': stdin)")
    parser.add_argument("--name", help="the project's name")
    parser.add_argument("--description", help="the project's description")


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = read_json_object(args.data, "--data") if args.data else {}
    for key in ("name", "description"):
        if getattr(args, key) is not None:
            fields[key] = getattr(args, key)
    return fields


def list_projects(args: argparse.Namespace) -> int:
    """List the user's projects."""
    projects = connect(args).projects.list()
    return emit(args, projects, lambda: print_table(projects, PROJECT_COLUMNS, empty="no project"))


def get_project(args: argparse.Namespace) -> int:
    """Show one project."""
    project = connect(args, auth=False).projects.get(args.project_id)
    permissions = project.permissions
    return emit(args, project, lambda: print_record([
        ("id", project.id), ("name", project.name), ("description", project.description),
        ("owner", project.owner), ("streams", project.streams),
        ("readers", permissions.canRead if permissions else None),
        ("writers", permissions.canWrite if permissions else None),
    ]))


def create_project(args: argparse.Namespace) -> int:
    """Create a project."""
    project = connect(args).projects.create(_fields(args))
    return emit(args, project, lambda: print(f"created project {project.id} {project.name or ''!r}"))


def update_project(args: argparse.Namespace) -> int:
    """Update a project."""
    fields = _fields(args)
    if not fields:
        raise CommandError("nothing to update: give --name, --description or --data", EXIT_USAGE)
    answer = connect(args).projects.update(args.project_id, fields)
    return emit(args, answer, lambda: print(f"updated project {args.project_id}: {', '.join(sorted(fields))}"))


def delete_project(args: argparse.Namespace) -> int:
    """Delete a project."""
    answer = connect(args).projects.delete(args.project_id)
    return emit(args, answer, lambda: print(f"deleted project {args.project_id}"))


def change_membership(args: argparse.Namespace) -> int:
    """Add or remove a project's stream or user, or change a member's rights."""
    method, _, _ = MEMBERSHIP[args.action]
    answer = getattr(connect(args).projects, method)(args.project_id, args.other_id)
    return emit(args, answer, lambda: print(f"{args.action}: {args.other_id} / project {args.project_id}"))
