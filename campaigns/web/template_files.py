"""Template files under ``[web] templates-dir``: safe paths, listing, atomic writes.

Every path the editor receives comes from a browser, so it is checked before any file
is touched: relative, forward slashes, no ``..`` or hidden parts, ending ``.j2``, and
still inside the folder once symlinks are resolved. A save writes a temporary file
beside the template and renames it over, so a reader never sees half a template.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from linter.document import parse_document
from linter.runner import discover, read_template

SUFFIX = ".j2"
MAX_PATH = 300
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# New files start from a skeleton that passes every rule, so the marketer edits a
# working example instead of fixing a blank page's findings.
NEW_EMAIL = """+++
subject = "{{ first_name }}, save 20% on your next order until Friday"
preheader = "Free delivery on every order"
lang = "en"
channel = "email"

[[preview]]
first_name = "An"
+++
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Save 20% until Friday</title>
</head>
<body>
  <p>Hi {{ first_name }},</p>
  <p>You save 20% on every order until Friday 31 January: records now cost
     from 96,000 VND instead of 120,000 VND.</p>
  <p>Every order ships free and arrives within three days.</p>
  <p><a href="https://shop.example.com/sale">Choose your records now</a></p>
  <p>P.S. Your 20% saving ends on Friday at midnight.
     <a href="https://shop.example.com/sale">Pick your records before it is gone</a>.</p>
  <footer>
    <p><a href="{{ unsubscribe_url }}">Unsubscribe</a> at any time.</p>
  </footer>
</body>
</html>
"""

NEW_LETTER = """+++
lang = "en"
channel = "letter"

[[preview]]
first_name = "An"
last_name = "Nguyen"
+++
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>A gift for {{ first_name }}</title>
</head>
<body>
  <p>Dear {{ first_name }} {{ last_name }},</p>
  <p>You get 20% off every record you choose before 31 March: records now cost
     from 96,000 VND instead of 120,000 VND.</p>
  <p>Your personal code is {{ offer_code }}. Show this letter in our shop, and we
     deliver your records free within three days.</p>
  <p>P.S. Your 20% gift ends on 31 March, so choose your records soon.</p>
</body>
</html>
"""


class TemplatePathError(ValueError):
    """A path that is not a template inside the templates folder; the message says why."""


@dataclass(frozen=True)
class TemplateFile:
    """One template file as the list shows it."""

    path: str
    channel: str
    lang: str | None
    subject: str | None
    modified: datetime


def check_relative(relative: str) -> str:
    """The path tidied (``en/jazz.html.j2``), or :class:`TemplatePathError`."""
    value = relative.strip()
    if not value:
        raise TemplatePathError("Give the template's path, like en/summer-sale.html.j2.")
    if len(value) > MAX_PATH or "\0" in value or "\\" in value:
        raise TemplatePathError(f"{value!r} is not a usable path.")
    if value.startswith("/") or _WINDOWS_DRIVE.match(value):
        raise TemplatePathError(f"{value!r}: use a path relative to the templates folder.")
    parts = value.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise TemplatePathError(f"{value!r}: no empty, '.' or '..' parts in the path.")
        if not _PART.match(part):
            raise TemplatePathError(
                f"{value!r}: use letters, digits, '.', '-' and '_' in each part "
                "(not starting with '.' or '-')."
            )
    if not value.endswith(SUFFIX) or len(parts[-1]) <= len(SUFFIX):
        raise TemplatePathError(f"{value!r}: a template's name ends with {SUFFIX}.")
    return str(PurePosixPath(*parts))


def resolve(root: Path, relative: str) -> Path:
    """The file of ``relative`` under ``root``, checked to stay inside it (symlinks too)."""
    tidy = check_relative(relative)
    base = root.resolve()
    target = (base / tidy).resolve()
    if not target.is_relative_to(base):
        raise TemplatePathError(f"{tidy!r} leads outside the templates folder.")
    return target


def lint_path(root: Path, relative: str) -> str:
    """The path the linter and campaigns know the file by (``templates/en/x.html.j2``).

    ``per-file-ignores`` globs are written against it.
    """
    return (root / check_relative(relative)).as_posix()


def digest(text: str) -> str:
    """A fingerprint of a template's text, to notice a change made by someone else."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """Text from a browser form with ``\\n`` line ends (textareas send CRLF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    """A template's text (UTF-8, or guessed), line ends normalised."""
    text, _ = read_template(path)
    return normalise(text)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            temporary.chmod(path.stat().st_mode & 0o777)
        else:
            temporary.chmod(0o644)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def describe(root: Path, path: Path) -> TemplateFile:
    """The list's row for one file (front matter read leniently: a broken one shows)."""
    relative = path.relative_to(root.resolve()).as_posix()
    text = read_text(path)
    document = parse_document(relative, text)
    return TemplateFile(
        path=relative,
        channel=document.channel,
        lang=document.front.lang,
        subject=document.front.subject,
        modified=datetime.fromtimestamp(path.stat().st_mtime, UTC),
    )


def list_templates(root: Path) -> list[TemplateFile]:
    """Every template file under ``root`` (hidden folders and escaping links skipped)."""
    base = root.resolve()
    if not base.is_dir():
        return []
    found = []
    for path in discover([base]):
        if not path.name.endswith(SUFFIX):
            continue
        relative = path.relative_to(base).as_posix()
        try:
            checked = resolve(base, relative)
        except TemplatePathError:
            continue
        if checked.is_file():
            found.append(describe(base, base / relative))
    return found


def skeleton(channel: str) -> str:
    """The text of a new template: a minimal one that lints clean."""
    return NEW_LETTER if channel == "letter" else NEW_EMAIL
