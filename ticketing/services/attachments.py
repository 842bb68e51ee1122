"""Evidence files: checked on their content, stored outside static under generated names.

Files are validated in memory first (``read_uploads``), then written by ``store`` once the
ticket change they belong to has been flushed. A written file is remembered on the database
session: if the transaction rolls back, the file is deleted, so no orphan stays on disk.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import Attachment, Comment, Ticket, TicketEvent, User

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
_PENDING_KEY = "attachments_written"

# What the content must start with; the extension the user gave is never trusted.
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", WEBP: "webp", DOCX: "docx", XLSX: "xlsx"}


@dataclass(frozen=True)
class Upload:
    """A validated file held in memory until it can be stored."""

    original_name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type recognised from the file's first bytes, or None if not allowed."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def _office_type(data: bytes) -> str | None:
    """DOCX and XLSX are zip files; tell them apart by the part names inside."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def clean_name(name: str | None) -> str:
    """Keep the user's file name only for display: no paths, bounded length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters (CR, LF, NUL) cannot go into the Content-Disposition header.
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "file")[:200]


def download_name(name: str | None, content_type: str) -> str:
    """The name a file is downloaded under: the user's, ending in the detected type's extension.

    A PDF uploaded as "x.html" is downloaded as "x.pdf": the browser or the desktop must not
    open it as the type its name claims.
    """
    base = clean_name(name)
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        return base
    stem, dot, suffix = base.rpartition(".")
    allowed = {extension, "jpeg"} if extension == "jpg" else {extension}
    if dot and stem and suffix.lower() in allowed:
        return base
    return f"{stem if dot and stem else base}"[:195] + f".{extension}"


def read_uploads(files: list[FileStorage]) -> list[Upload]:
    """Read and check the chosen files (size, type by content); raise InvalidInput if bad."""
    chosen = [f for f in files if f is not None and f.filename]
    if len(chosen) > MAX_FILES:
        raise InvalidInput(f"Attach at most {MAX_FILES} files.", field="files")
    uploads = []
    for storage in chosen:
        data = storage.stream.read(MAX_FILE_BYTES + 1)
        name = clean_name(storage.filename)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"{name}: the file is larger than 5 MB.", field="files")
        if not data:
            raise InvalidInput(f"{name}: the file is empty.", field="files")
        content_type = sniff(data)
        if content_type is None:
            raise InvalidInput(
                f"{name}: only JPEG, PNG, WEBP, PDF, DOCX and XLSX files are accepted.",
                field="files",
            )
        uploads.append(Upload(name, content_type, data))
    return uploads


def upload_folder() -> Path:
    """The directory the files live in (outside the static folder)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(
    ticket: Ticket,
    uploads: list[Upload],
    *,
    actor: User,
    event: TicketEvent | None = None,
    comment: Comment | None = None,
) -> list[Attachment]:
    """Write validated files under generated names and add their rows (flushes, no commit)."""
    rows = []
    folder = upload_folder()
    written: list[str] = db.session.info.setdefault(_PENDING_KEY, [])
    for upload in uploads:
        stored_name = f"{uuid.uuid4().hex}.{EXTENSIONS[upload.content_type]}"
        path = folder / stored_name
        path.write_bytes(upload.data)
        written.append(str(path))
        row = Attachment(
            ticket_id=ticket.id,
            event_id=event.id if event is not None else None,
            comment_id=comment.id if comment is not None else None,
            uploaded_by_id=actor.id,
            original_name=upload.original_name,
            stored_name=stored_name,
            content_type=upload.content_type,
            size_bytes=len(upload.data),
            created_at=utcnow(),
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def path_of(attachment: Attachment) -> Path:
    """Where an attachment's bytes are on disk."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / attachment.stored_name


@sa_event.listens_for(Session, "after_commit")
def _forget_written(session: Session) -> None:
    """Committed: the files now belong to their rows."""
    session.info.pop(_PENDING_KEY, None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _delete_written(session: Session, _previous: Any) -> None:
    """Rolled back: delete the files written in this transaction, so none is orphaned."""
    for name in session.info.pop(_PENDING_KEY, []):
        Path(name).unlink(missing_ok=True)


def may_download(user: Any, row: Attachment) -> bool:
    """A file of an internal note only for those who read internal notes (the ticket's scope
    is checked by the caller)."""
    from ticketing import permissions

    if row.comment_id is None:
        return True
    comment = db.session.get(Comment, row.comment_id)
    return comment is None or not comment.internal or permissions.can_see_internal(user)
