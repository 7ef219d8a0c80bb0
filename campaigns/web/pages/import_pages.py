"""``/import``: upload a contacts or orders CSV, watch it import, read what was rejected.

The upload is saved under the configured uploads folder and imported in a background
thread by :mod:`campaigns.web.import_jobs`; the job page polls a progress fragment
(htmx, every half second) until the job is done, then shows the counts and the first
rejected rows with a link to the whole rejects file.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.web.context import PREFIX, WebContext
from campaigns.web.import_jobs import KINDS, ImportJob, ImportJobs, safe_name

_CHUNK = 1 << 20


def _save_upload(upload: UploadFile, target: Path) -> int:
    """Copy the uploaded file to ``target``; its size in bytes."""
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, _CHUNK)
    return target.stat().st_size


class ImportPages:
    """The upload form, the job page with its progress fragment, and the rejects file."""

    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.jobs = ImportJobs(web.db, web.settings.audience, web.web.uploads)

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/import", self.upload_form, methods=["GET"]),
            Route("/import", self.upload, methods=["POST"]),
            Route("/import/{job_id}", self.job_page, methods=["GET"]),
            Route("/import/{job_id}/progress", self.progress, methods=["GET"]),
            Route("/import/{job_id}/rejects.csv", self.rejects, methods=["GET"]),
        ]

    def _form(
        self,
        request: Request,
        kind: str = "contacts",
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        return self.web.render(
            request,
            "import/upload.html",
            {"kinds": KINDS, "kind": kind, "errors": errors or {}},
            status_code=status_code,
        )

    async def upload_form(self, request: Request) -> Response:
        """The upload form."""
        kind = request.query_params.get("kind", "contacts")
        return self._form(request, kind if kind in KINDS else "contacts")

    async def upload(self, request: Request) -> Response:
        """Save the file, start the import, and go to the job's page (marketers only)."""
        form = await self.web.form(request, role="marketer")
        kind = str(form.get("kind", "contacts"))
        upload = form.get("file")
        errors: dict[str, str] = {}
        if kind not in KINDS:
            errors["kind"] = "Choose what the file holds: contacts or orders."
            kind = "contacts"
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors["file"] = "Choose a CSV file to import."
        if errors:
            return self._form(request, kind, errors, status_code=400)
        assert isinstance(upload, UploadFile)
        job_id, folder = await run_in_threadpool(self.jobs.new_folder)
        target = folder / safe_name(upload.filename or "upload.csv")
        size = await run_in_threadpool(_save_upload, upload, target)
        if size == 0:
            await run_in_threadpool(shutil.rmtree, folder, True)
            errors["file"] = f"{upload.filename} is empty: choose a CSV file with a header row."
            return self._form(request, kind, errors, status_code=400)
        await run_in_threadpool(self.jobs.start, job_id, kind, target)
        return RedirectResponse(f"{PREFIX}/import/{job_id}", status_code=303)

    def _job(self, request: Request) -> ImportJob:
        job = self.jobs.get(str(request.path_params["job_id"]))
        if job is None:
            raise HTTPException(status_code=404, detail="No such import.")
        return job

    def _values(self, job: ImportJob) -> dict[str, Any]:
        return {"job": job, "kinds": KINDS}

    async def job_page(self, request: Request) -> Response:
        """The job: progress while it runs, then the result."""
        job = await run_in_threadpool(self._job, request)
        return self.web.render(request, "import/job.html", self._values(job))

    async def progress(self, request: Request) -> Response:
        """The progress fragment the job page polls; it stops polling once the job ends."""
        job = await run_in_threadpool(self._job, request)
        return self.web.render(request, "import/progress.html", self._values(job))

    async def rejects(self, request: Request) -> Response:
        """The whole rejects file, as a download."""
        job = await run_in_threadpool(self._job, request)
        path = self.jobs.rejects_path(job)
        if path is None:
            raise HTTPException(status_code=404, detail="This import rejected no row.")
        return FileResponse(
            path,
            media_type="text/csv; charset=utf-8",
            filename=path.name,
            content_disposition_type="attachment",
        )


def routes(web: WebContext) -> list[BaseRoute]:
    """The import routes."""
    return ImportPages(web).routes()
