"""CSV imports started from the web app: each runs in a thread and reports its progress.

An upload is saved as ``UPLOADS/<job id>/<safe name>`` and imported there by the
library's importer (:func:`audiences.contact_import.import_contacts` or
:func:`audiences.order_import.import_orders`), so the rejects file lands beside it.
Jobs are kept in memory while the server runs, and each job's state is also written
to ``job.json`` in its folder, so a reload or a restarted server still shows the
result. A job that was running when the server stopped is reported as interrupted.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from audiences.db import Database
from audiences.import_file import ImportFileError, ImportResult
from audiences.models import Contact, Order
from audiences.settings import AudienceSettings

KINDS = {"contacts": "Contacts", "orders": "Orders"}
STATES = ("running", "done", "failed", "interrupted")
# Rejected rows shown on the page; the rejects file has every one.
REJECTS_SHOWN = 20
JOB_FILE = "job.json"
JOB_ID = re.compile(r"[0-9a-f]{32}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

log = logging.getLogger(__name__)

Importer = Callable[
    [Database, Path, AudienceSettings, Callable[[int, int], None] | None], ImportResult
]


def safe_name(name: str) -> str:
    """A file name that stays inside its folder: letters, digits, ``.``, ``_``, ``-``."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._") or "upload"
    return base[:100] if base.lower().endswith(".csv") else f"{base[:96]}.csv"


@dataclass
class ShownReject:
    """A rejected row as shown on the page: its line, why, and its cells by column."""

    row: int
    reason: str
    cells: list[tuple[str, str]]


@dataclass
class ImportJob:
    """One import: what is being read, how far, and what came of it."""

    id: str
    kind: str
    file_name: str
    state: str = "running"
    bytes_read: int = 0
    total_bytes: int = 0
    rows: int = 0
    imported: int = 0
    new: int = 0
    rejected: int = 0
    error: str = ""
    rejects_file: str = ""
    rejects: list[ShownReject] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Whether the job will change no more."""
        return self.state != "running"

    @property
    def updated(self) -> int:
        """Good rows that changed something already stored (or repeated an earlier row)."""
        return max(self.imported - self.new, 0)

    @property
    def percent(self) -> int:
        """How far the file has been read, 0 to 100."""
        if self.finished and self.state == "done":
            return 100
        return int(100 * self.bytes_read / self.total_bytes) if self.total_bytes else 0

    def as_json(self) -> dict[str, Any]:
        """The job as stored in ``job.json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportJob:
        """A job read back from ``job.json``."""
        rejects = [
            ShownReject(int(r["row"]), str(r["reason"]), [(str(k), str(v)) for k, v in r["cells"]])
            for r in data.get("rejects", [])
        ]
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["rejects"] = rejects
        return cls(**known)


def _importer(kind: str) -> Importer:
    if kind == "orders":
        from audiences.order_import import import_orders

        return import_orders
    from audiences.contact_import import import_contacts

    return import_contacts


def _stored(db: Database, kind: str) -> int:
    """How many contacts (or orders) the database holds."""
    model = Order if kind == "orders" else Contact
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def read_rejects(path: Path, limit: int = REJECTS_SHOWN) -> list[ShownReject]:
    """The first ``limit`` rows of a rejects file (``row``, ``reason``, then the row)."""
    shown: list[ShownReject] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])[2:]
        for cells in reader:
            if len(shown) >= limit:
                break
            row, reason, *values = cells
            names = [*header, *(f"column {n}" for n in range(len(header) + 1, len(values) + 1))]
            shown.append(ShownReject(int(row), reason, list(zip(names, values, strict=False))))
    return shown


class ImportJobs:
    """The imports of this server: started here, looked up by id, kept on disk."""

    def __init__(self, db: Database, settings: AudienceSettings, uploads: Path) -> None:
        self.db = db
        self.settings = settings
        self.uploads = uploads
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def new_folder(self) -> tuple[str, Path]:
        """A fresh job id and its (created) folder."""
        job_id = uuid.uuid4().hex
        folder = self.uploads.resolve() / job_id
        folder.mkdir(parents=True)
        return job_id, folder

    def start(self, job_id: str, kind: str, path: Path) -> ImportJob:
        """Import ``path`` (already in the job's folder) in a background thread."""
        job = ImportJob(job_id, kind, path.name, total_bytes=path.stat().st_size)
        with self._lock:
            self._jobs[job_id] = job
        self._save(job)
        thread = threading.Thread(
            target=self.run, args=(job, path), name=f"import-{job_id[:8]}", daemon=True
        )
        thread.start()
        return job

    def get(self, job_id: str) -> ImportJob | None:
        """A snapshot of the job, from memory or from its folder; None when unknown."""
        if not JOB_ID.fullmatch(job_id):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return ImportJob(**{**job.__dict__, "rejects": list(job.rejects)})
        stored = self.uploads.resolve() / job_id / JOB_FILE
        try:
            job = ImportJob.from_json(json.loads(stored.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if job.state == "running":
            # Not in memory: the server that ran it stopped before it finished.
            job.state = "interrupted"
        return job

    def rejects_path(self, job: ImportJob) -> Path | None:
        """The job's rejects file, when it has one."""
        if not job.rejects_file:
            return None
        path = self.uploads.resolve() / job.id / job.rejects_file
        return path if path.is_file() else None

    def advance(self, job: ImportJob, done: int, total: int) -> None:
        """The importer's progress callback: ``done`` of ``total`` bytes read."""
        with self._lock:
            job.bytes_read = done
            job.total_bytes = total

    def run(self, job: ImportJob, path: Path) -> None:
        """Run the import (in the job's thread) and record how it ended."""
        try:
            before = _stored(self.db, job.kind)
            result = _importer(job.kind)(
                self.db,
                path,
                self.settings,
                lambda done, total: self.advance(job, done, total),
            )
            new = _stored(self.db, job.kind) - before
            rejects = read_rejects(result.rejects_path) if result.rejects_path else []
        except ImportFileError as exc:
            self._finish(job, state="failed", error=str(exc))
            path.unlink(missing_ok=True)
            return
        except Exception:
            log.exception("import %s failed", job.id)
            self._finish(job, state="failed", error="The import failed unexpectedly.")
            return
        self._finish(
            job,
            state="done",
            rows=result.rows,
            imported=result.imported,
            new=max(new, 0),
            rejected=result.rejected,
            rejects_file=result.rejects_path.name if result.rejects_path else "",
            rejects=rejects,
        )

    def _finish(self, job: ImportJob, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)
            if job.state == "done":
                job.bytes_read = job.total_bytes
        self._save(job)

    def _save(self, job: ImportJob) -> None:
        folder = self.uploads.resolve() / job.id
        with self._lock:
            data = json.dumps(job.as_json(), ensure_ascii=False, indent=1)
        temporary = folder / f".{JOB_FILE}.tmp"
        temporary.write_text(data, encoding="utf-8")
        temporary.replace(folder / JOB_FILE)
