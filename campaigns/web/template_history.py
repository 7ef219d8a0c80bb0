"""Saving a template from the editor, and its version history in ``template_versions``.

A save is refused when the file changed on disk since the editor loaded it (someone
else saved, or it was edited outside the app): the caller shows the submitted text
back, so nothing is lost. Before the first version the app records of a file, and
whenever the file on disk no longer matches the newest version, the text on disk is
recorded first, so the history always holds what a save replaced.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.web.template_files import digest, read_text, write_atomic
from campaigns.web.web_models import TemplateVersion

NOTE_LENGTH = 400
ON_DISK_NOTE = "The file as it was on disk before this editor saved it"
# Checking the file and replacing it must not interleave between two saves.
_SAVING = threading.Lock()


class SaveConflictError(Exception):
    """The file changed since the editor loaded it; nothing was written."""


@dataclass(frozen=True)
class VersionRow:
    """One version as the history lists it."""

    version: int
    saved_by: str | None
    saved_at: datetime
    note: str | None
    size: int


def _newest(session: Session, path: str) -> TemplateVersion | None:
    return session.scalars(
        select(TemplateVersion)
        .where(TemplateVersion.path == path)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    ).first()


def _add(
    session: Session, path: str, version: int, source: str, who: str | None, note: str | None
) -> TemplateVersion:
    row = TemplateVersion(
        path=path,
        version=version,
        source=source,
        saved_by=who,
        note=(note or None) and note[:NOTE_LENGTH],
    )
    session.add(row)
    session.flush()
    return row


def save_template(
    session: Session,
    file: Path,
    path: str,
    text: str,
    who: str,
    note: str = "",
    base: str | None = None,
) -> int:
    """Write ``text`` to ``file`` and record it as the next version; its number.

    ``base`` is the digest of the text the editor started from (None for a new
    file, or a restore); a different text on disk raises :class:`SaveConflictError`.
    """
    with _SAVING:
        on_disk = read_text(file) if file.exists() else None
        if base is not None and (on_disk is None or digest(on_disk) != base):
            raise SaveConflictError(
                "Someone changed this template since you opened it. Your text is below, "
                "unsaved: copy it, reload the page to see theirs, and merge."
            )
        newest = _newest(session, path)
        number = newest.version if newest is not None else 0
        if on_disk is not None and (newest is None or newest.source != on_disk):
            number += 1
            _add(session, path, number, on_disk, None, ON_DISK_NOTE)
        number += 1
        _add(session, path, number, text, who, note.strip())
        write_atomic(file, text)
        return number


def create_template(session: Session, file: Path, path: str, text: str, who: str) -> None:
    """Write a new template file and record it; :class:`SaveConflictError` if it exists."""
    with _SAVING:
        if file.exists():
            raise SaveConflictError(f"{path} exists already: open it from the list.")
        newest = _newest(session, path)
        _add(session, path, (newest.version if newest else 0) + 1, text, who, "Created")
        write_atomic(file, text)


def versions(session: Session, path: str) -> list[VersionRow]:
    """The file's versions, newest first."""
    rows = session.execute(
        select(
            TemplateVersion.version,
            TemplateVersion.saved_by,
            TemplateVersion.saved_at,
            TemplateVersion.note,
            func.length(TemplateVersion.source),
        )
        .where(TemplateVersion.path == path)
        .order_by(TemplateVersion.version.desc())
    )
    return [VersionRow(*row) for row in rows]


def version_source(session: Session, path: str, version: int) -> str | None:
    """The text of one version, or None when there is no such version."""
    return session.scalar(
        select(TemplateVersion.source).where(
            TemplateVersion.path == path, TemplateVersion.version == version
        )
    )


def last_saves(session: Session) -> dict[str, tuple[str | None, datetime]]:
    """Who saved each path last through the app, and when."""
    newest = (
        select(TemplateVersion.path, func.max(TemplateVersion.version).label("version"))
        .group_by(TemplateVersion.path)
        .subquery()
    )
    rows = session.execute(
        select(TemplateVersion.path, TemplateVersion.saved_by, TemplateVersion.saved_at).join(
            newest,
            (TemplateVersion.path == newest.c.path) & (TemplateVersion.version == newest.c.version),
        )
    )
    return {path: (who, at) for path, who, at in rows}
