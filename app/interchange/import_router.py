"""The web import: upload a CSV, see the dry run, confirm, watch it commit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app import dates
from app.accounts.models import Role, User
from app.accounts.service import acting_user
from app.deps import ROLE_WORDS, DatabaseDep, EditorDep, SessionDep, SettingsDep
from app.faults import DatabaseFault
from app.flash import flash
from app.i18n import gettext
from app.interchange import batches
from app.interchange.models import ImportBatch, ImportState
from app.templating import render
from app.validation import check_text

router = APIRouter()


async def read_upload(request: Request) -> dict[str, Any]:
    """The uploaded file (bytes, name) and the form's other fields, size-limited."""
    limit = request.app.state.settings.max_upload_mb * 1024 * 1024
    form = await request.form()
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(upload, UploadFile):
        return {"content": None, "filename": "", **fields}
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(
            413,
            gettext("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)},
        )
    return {"content": content, "filename": upload.filename or "upload.csv", **fields}


UploadDep = Annotated[dict[str, Any], Depends(read_upload)]


@router.get("/import", include_in_schema=False)
def import_form(request: Request, session: SessionDep, user: EditorDep) -> Response:
    return render(
        request,
        "import.html",
        {"as_of": dates.today(), "recent": batches.recent(session, user), "error": None},
    )


@router.post("/import", include_in_schema=False)
def upload(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    user: EditorDep,
    form: UploadDep,
) -> Response:
    if not form["content"]:
        context = {
            "as_of": dates.today(),
            "recent": batches.recent(session, user),
            "error": gettext("Choose a CSV file to upload (it is empty or missing)."),
        }
        return render(request, "import.html", context, status_code=422)
    try:
        filename = check_text(form["filename"], max_length=255)
    except ValueError as error:
        context = {
            "as_of": dates.today(),
            "recent": batches.recent(session, user),
            "error": gettext(
                "file: the file's name %(problem)s; rename the file and upload it again."
            )
            % {"problem": error},
        }
        return render(request, "import.html", context, status_code=422)
    # Only an admin may have imported claims count at once; everyone else's wait for review.
    approve = form.get("approve") == "yes" and user.has_role(Role.admin)
    try:
        with database.writing() as write:
            batch = batches.create(
                write,
                user=acting_user(write, user.id, Role.admin if approve else Role.editor),
                filename=filename,
                content=form["content"],
                approve=approve,
            )
            batch_id = batch.id
    except DatabaseFault as fault:
        context = {
            "as_of": dates.today(),
            "recent": batches.recent(session, user),
            "error": gettext("%(problem)s Choose the file again to upload it once that is fixed.")
            % {"problem": fault.sentence()},
        }
        return render(request, "import.html", context, status_code=fault.status_code)
    batches.run(batches.check, database, batch_id, settings.region_bounds)
    return RedirectResponse(f"/import/{batch_id}", status_code=303)


def _own_batch(session: Session, batch_id: str, user: User) -> ImportBatch:
    """The uploader's own batch (reviewers may see everyone's); 404 for anyone else."""
    batch = batches.get(session, batch_id)
    if batch is None or (batch.user_id != user.id and not user.has_role(Role.reviewer)):
        raise HTTPException(404, gettext("There is no such import."))
    return batch


@router.get("/import/{batch_id}", include_in_schema=False)
def batch_page(request: Request, batch_id: str, session: SessionDep, user: EditorDep) -> Response:
    batch = _own_batch(session, batch_id, user)
    progress = batches.progress_of(batch_id)
    working = progress is not None and not progress.finished
    return render(
        request,
        "import_batch.html",
        {
            "as_of": dates.today(),
            "batch": batch,
            "summary": batch.summary or {},
            "progress": progress,
            "working": working,
            "ImportState": ImportState,
        },
        fragments={"import-status": "status"},
    )


@router.post("/import/{batch_id}/commit", include_in_schema=False)
def commit_batch(
    request: Request,
    batch_id: str,
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    user: EditorDep,
) -> Response:
    batch = _own_batch(session, batch_id, user)
    if batch.user_id != user.id:
        raise HTTPException(403, gettext("Only the person who uploaded a file can commit it."))
    if not user.has_role(batches.required_role(batch)):
        # Uploaded to be approved at once by an admin who is no longer one: the approval is
        # not carried out with rights the user no longer has (the commit checks it again).
        raise HTTPException(
            403,
            gettext(
                "This file was uploaded to be approved on import, which needs the admin role; "
                "you now have the %(role)s role. Nothing was stored: upload it again "
                "without approval."
            )
            % {"role": gettext(ROLE_WORDS[user.role])},
        )
    if batch.state == ImportState.committed:
        raise HTTPException(409, gettext("This file was already imported."))
    if batch.state != ImportState.checked:
        raise HTTPException(409, gettext("This file has bad rows: fix them and upload it again."))
    batches.run(batches.commit, database, batch_id, user.id, settings.region_bounds)
    with database.read_session() as fresh:
        # A large file is still being stored: its page reports the outcome when it is done.
        done = batches.get(fresh, batch_id)
        if done is not None and done.state == ImportState.committed:
            flash(request, batches.confirmation(done))
    return RedirectResponse(f"/import/{batch_id}", status_code=303)
