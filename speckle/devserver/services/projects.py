"""``/projects`` routes and stream permission propagation (§8.7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ids, models
from ..errors import Family, Style, cast_error, type_error
from ..permissions import check, is_member
from .base import Auth, Call, Document, get_by_id, get_stream, require, route

B = {"family": Family.B, "style": Style.MESSAGE}
SCHEMA = models.SCHEMAS["projects"]
STREAM_SUMMARY = ("canRead", "canWrite", "name", "_id", "streamId", "owner", "updatedAt", "__v")


def _project(call: Call) -> Document:
    return require(get_by_id(call, "projects", call.params["projectId"], "Project"))


def _writable_project(call: Call) -> Document:
    project = _project(call)
    check(call.user, "write", project, "project")
    return project


def _perm(project: Document, key: str) -> list[Any]:
    perms = project.setdefault("permissions", {})
    if not isinstance(perms, dict):
        perms = project["permissions"] = {}
    return perms.setdefault(key, [])


def _add(values: list[Any], *items: Any) -> bool:
    """Append the items not yet there; whether any was."""
    added = False
    for item in items:
        if item not in values:
            values.append(item)
            added = True
    return added


def _pull(values: list[Any], item: Any) -> bool:
    """Remove every occurrence of ``item``; whether there was one."""
    found = item in values
    while item in values:
        values.remove(item)
    return found


def _others_grant(call: Call, project: Document, stream_id: str, key: str, user_id: str) -> bool:
    """Whether another project containing the stream lists the user in ``permissions[key]``."""
    for other in call.store.all("projects"):
        if other["_id"] != project["_id"] and stream_id in (other.get("streams") or []):
            if user_id in ((other.get("permissions") or {}).get(key) or []):
                return True
    return False


def _summary(stream: Document, changed: bool, keys: tuple[str, ...] = STREAM_SUMMARY) -> Document:
    """A stream read with a projection (no ``__v``/timestamps) and then saved.

    Mongoose sets ``updatedAt`` only when something changed, and its in-memory ``__v``
    (unselected, so 0) becomes 1 after a save that changed an array.
    """
    out = {k: stream[k] for k in keys if k in stream and k not in ("updatedAt", "__v")}
    if changed:
        out["updatedAt"] = stream.get("updatedAt")
        out["__v"] = 1
    return out


def _save_stream(call: Call, stream: Document) -> None:
    """Save a stream read with a projection: ``updatedAt`` is set, but ``__v`` (not selected) is
    not bumped, as mongoose versions only documents whose version key was read."""
    call.store.save("streams", models.touch(stream, version=False))


def _save_project(call: Call, project: Document, *, version: bool = True) -> Document:
    call.store.save("projects", models.touch(project, version=version))
    return models.minimize(project)


def _each_stream(call: Call, project: Document, fn: Callable[[Document], bool], *, strict: bool) -> None:
    """Apply ``fn`` to each project stream; the ones it changed are saved as ``updateMany`` does.

    (A query update: ``updatedAt`` is set, ``__v`` is not bumped.)
    """
    for stream_id in list(project.get("streams") or []):
        stream = get_stream(call, stream_id)
        if stream is None:
            if strict:
                raise type_error("canWrite")
            continue
        if fn(stream):
            _save_stream(call, stream)


def _user_param(call: Call, path: str | None) -> str:
    """The ``userId`` parameter; a malformed one fails to cast at ``path`` (``None``: never checked)."""
    user_id = call.params["userId"]
    if path is not None and not ids.is_object_id(user_id):
        raise cast_error(user_id, None, path)
    return user_id


@route("POST", "/projects", auth=Auth.MANDATORY)
def create_project(call: Call) -> Document:
    """Create a project (no propagation)."""
    project = models.new_document("projects", call.body_dict(), owner=call.uid)
    call.store.insert("projects", project)
    return {"success": True, "resource": models.minimize(project)}


def _list(call: Call, *, scoped: bool) -> Document:
    uid = call.uid

    def mine(project: Document) -> bool:
        return is_member(uid, project)

    found = call.query(SCHEMA).apply(call.store.all("projects"), scope=mine if scoped else None,
                                   hydrate="projects")
    return {"success": True, "resources": [models.minimize(p) for p in found]}


@route("GET", "/projects", auth=Auth.MANDATORY, **B)
def list_projects(call: Call) -> Document:
    """Projects the caller owns or may read/write."""
    return _list(call, scoped=True)


@route("GET", "/projects/admin", auth=Auth.ADMIN, **B)
def list_all_projects(call: Call) -> Document:
    """Every project (admin)."""
    return _list(call, scoped=False)


@route("GET", "/projects/:projectId", auth=Auth.MANDATORY, **B)
def get_project(call: Call) -> Document:
    """One readable project."""
    project = _project(call)
    check(call.user, "read", project, "project")
    return {"success": True, "resource": models.minimize(project)}


@route("PUT", "/projects/:projectId", auth=Auth.MANDATORY, **B)
def update_project(call: Call) -> Document:
    """Set body keys (no protected fields, no propagation)."""
    project = _writable_project(call)
    body = call.body_dict()
    models.filter_access_lists(project)  # before the body is set
    models.check_version(project, body)
    version = models.versioned("projects", project, body)
    models.apply("projects", project, body)
    _save_project(call, project, version=version)
    return {"success": True, "message": f"Patched {','.join(body)} for {project['_id']}."}


@route("DELETE", "/projects/:projectId", auth=Auth.MANDATORY, style=Style.LOGGED_OBJECT)
def delete_project(call: Call) -> Document:
    """Delete a project, withdrawing the stream access it granted."""
    project = _project(call)
    check(call.user, "delete", project, "project")
    modified: list[Document] = []

    for stream_id in list(project.get("streams") or []):
        stream = get_stream(call, stream_id)
        if stream is not None and _withdraw_project(call, project, stream):
            _save_stream(call, stream)
            modified.append(_summary(stream, True, ("canRead", "canWrite", "_id", "streamId", "owner")))
    call.store.delete("projects", [project["_id"]])
    return {"success": True, "message": "Project was permanently deleted.", "modifiedStreams": modified}


def _withdraw_project(call: Call, project: Document, stream: Document) -> bool:
    """Remove the project members' access to a stream unless another project grants it."""
    changed = False
    for key in ("canRead", "canWrite"):
        for user_id in list(_perm(project, key)):
            if not _others_grant(call, project, stream["streamId"], key, user_id):
                changed = _pull(stream.setdefault(key, []), user_id) or changed
    return changed


@route("PUT", "/projects/:projectId/addstream/:streamId", auth=Auth.MANDATORY, style=Style.MESSAGE)
def add_stream(call: Call) -> Document:
    """Add a stream and grant the project's members (and owner) access to it."""
    project = _writable_project(call)
    stream = require(get_stream(call, call.params["streamId"]))
    check(call.user, "write", stream, "stream")
    project_changed = _add(project.setdefault("streams", []), stream["streamId"])
    read = _add(stream.setdefault("canRead", []), *_perm(project, "canRead"), project.get("owner"))
    write = _add(stream.setdefault("canWrite", []), *_perm(project, "canWrite"), project.get("owner"))
    if read or write:
        _save_stream(call, stream)
    return {"success": True, "project": _save_project(call, project, version=project_changed),
            "stream": _summary(stream, read or write)}


@route("DELETE", "/projects/:projectId/removestream/:streamId", auth=Auth.MANDATORY, **B)
def remove_stream(call: Call) -> Document:
    """Remove a stream, withdrawing the access the project granted on it."""
    project = _writable_project(call)
    stream = require(get_stream(call, call.params["streamId"]))
    check(call.user, "write", stream, "stream")
    project_changed = _pull(project.setdefault("streams", []), stream["streamId"])
    changed = _withdraw_project(call, project, stream)
    if changed:
        _save_stream(call, stream)
    return {"success": True, "project": _save_project(call, project, version=project_changed),
            "stream": _summary(stream, changed)}


@route("PUT", "/projects/:projectId/adduser/:userId", auth=Auth.MANDATORY, **B)
def add_user(call: Call) -> Document:
    """Grant a user write on every project stream and read on the project."""
    project = _writable_project(call)
    user_id = _user_param(call, "canWrite")
    _each_stream(call, project, lambda s: _add(s.setdefault("canWrite", []), user_id) or True, strict=False)
    _add(project.setdefault("canRead", []), user_id)
    _add(_perm(project, "canWrite"), user_id)
    _save_project(call, project, version=False)  # a query update: no version bump
    return {"success": True, "message": f"Added user {user_id} to project {project['_id']}'s "
                                        "permission table and updated streams."}


@route("DELETE", "/projects/:projectId/removeuser/:userId", auth=Auth.MANDATORY, **B)
def remove_user(call: Call) -> Document:
    """Withdraw a user from the project and its streams (unless another project grants it)."""
    project = _writable_project(call)
    user_id = _user_param(call, None)
    both: list[str] = []
    write: list[str] = []
    read: list[str] = []

    def withdraw(stream: Document) -> bool:
        sid = stream["streamId"]
        pull_w = not _others_grant(call, project, sid, "canWrite", user_id) \
            and user_id in (stream.get("canWrite") or [])
        pull_r = not _others_grant(call, project, sid, "canRead", user_id) \
            and user_id in (stream.get("canRead") or [])
        (both if pull_w and pull_r else write if pull_w else read if pull_r else []).append(sid)
        if pull_w:
            _pull(stream.setdefault("canWrite", []), user_id)
        if pull_r:
            _pull(stream.setdefault("canRead", []), user_id)
        return pull_w or pull_r

    _each_stream(call, project, withdraw, strict=True)
    changed = False
    for key in ("canWrite", "canRead"):
        changed = _pull(_perm(project, key), user_id) or changed
    for key in ("canWrite", "canRead"):
        changed = _pull(project.setdefault(key, []), user_id) or changed
    return {"success": True, "project": _save_project(call, project, version=changed),
            "streamsToPullBothFrom": both, "streamsToPullWriteFrom": write,
            "streamsToPullReadFrom": read}


@route("PUT", "/projects/:projectId/upgradeuser/:userId", auth=Auth.MANDATORY, **B)
def upgrade_user(call: Call) -> Document:
    """Grant a user read and write on every project stream."""
    project = _writable_project(call)
    user_id = _user_param(call, "canRead")

    def grant(stream: Document) -> bool:
        _add(stream.setdefault("canWrite", []), user_id)
        _add(stream.setdefault("canRead", []), user_id)
        return True

    _each_stream(call, project, grant, strict=False)
    _add(_perm(project, "canWrite"), user_id)
    _add(_perm(project, "canRead"), user_id)
    _save_project(call, project, version=False)  # a query update: no version bump
    return {"success": True, "message": f"Added user {user_id} to read streams."}


@route("PUT", "/projects/:projectId/downgradeuser/:userId", auth=Auth.MANDATORY, **B)
def downgrade_user(call: Call) -> Document:
    """Move a user from write to read access on the project's streams."""
    project = _writable_project(call)
    user_id = _user_param(call, None)
    moved: list[str] = []
    added: list[str] = []

    def downgrade(stream: Document) -> bool:
        sid = stream["streamId"]
        if user_id in (stream.get("canWrite") or []) and \
                not _others_grant(call, project, sid, "canWrite", user_id):
            _pull(stream["canWrite"], user_id)
            _add(stream.setdefault("canRead", []), user_id)
            moved.append(sid)
            return True
        if user_id in (stream.get("canRead") or []):
            added.append(sid)  # already a reader: the $addToSet changes nothing
            return True
        return False

    _each_stream(call, project, downgrade, strict=True)
    if not ids.is_object_id(user_id):  # pushing it into the project's permissions fails to cast
        raise cast_error(user_id, None, "permissions.canRead")
    changed = _pull(_perm(project, "canWrite"), user_id)
    changed = _add(_perm(project, "canRead"), user_id) or changed
    return {"success": True, "project": _save_project(call, project, version=changed),
            "streamsToAddReadAndPullWrite": moved, "streamsToAddToRead": added}


