"""Evidence files: checked on their content, stored outside static under generated names.

Every image is re-encoded before it is kept: the orientation the camera wrote is applied, the
metadata (EXIF, GPS location, maker notes) is dropped, photos larger than ``IMAGE_LONG_SIDE``
are shrunk, and HEIC/HEIF photos (iPhones) become JPEG. A phone photo of 4-8 MB is stored as a
JPEG of a few hundred KB; the browser usually shrinks it before upload already (photos.js).

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
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import Attachment, Comment, Ticket, TicketEvent, User

# What the forms promise (FILES_HELP) and what is enforced: the same numbers.
MAX_FILE_MB = 10
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
MAX_FILES = 5
# The whole request may carry every allowed file plus the form's text.
REQUEST_LIMIT = MAX_FILES * MAX_FILE_BYTES + 2 * 1024 * 1024
# Stored photos: long side at most this many pixels, JPEG at this quality.
IMAGE_LONG_SIDE = 2048
JPEG_QUALITY = 82
# Refuse images that would take too much memory to decode (a "decompression bomb").
MAX_IMAGE_PIXELS = 60_000_000
_PENDING_KEY = "attachments_written"

# What the content must start with; the extension the user gave is never trusted.
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEIF = "image/heif"
# ISO-BMFF brands of HEIC/HEIF still images (the "ftyp" box at offset 4).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
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
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIF
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
    """Read and check the chosen files (size, type by content); raise InvalidInput if bad.

    Images come back re-encoded (see the module's docstring).
    """
    chosen = [f for f in files if f is not None and f.filename]
    if len(chosen) > MAX_FILES:
        raise InvalidInput(_l("Attach at most %(n)d files.", n=MAX_FILES), field="files")
    uploads = []
    for storage in chosen:
        data = storage.stream.read(MAX_FILE_BYTES + 1)
        name = clean_name(storage.filename)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(
                _l("%(name)s: the file is larger than %(mb)d MB.", name=name, mb=MAX_FILE_MB),
                field="files",
            )
        if not data:
            raise InvalidInput(_l("%(name)s: the file is empty.", name=name), field="files")
        content_type = sniff(data)
        if content_type is None:
            raise InvalidInput(
                _l(
                    "%(name)s: only photos (JPEG, PNG, WEBP, HEIC), PDF, DOCX and XLSX files "
                    "are accepted.",
                    name=name,
                ),
                field="files",
            )
        upload = Upload(name, content_type, data)
        if content_type in IMAGE_TYPES:
            upload = reencode(upload)
        uploads.append(upload)
    return uploads


IMAGE_TYPES = {JPEG, PNG, WEBP, HEIF}


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


_register_heif()


def reencode(upload: Upload) -> Upload:
    """The image drawn anew: upright, shrunk, without metadata; HEIC and WEBP become JPEG.

    PNG (screenshots, diagrams) stays PNG so text stays sharp, but loses its metadata too.
    """
    try:
        with Image.open(BytesIO(upload.data)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise InvalidInput(
                    _l("%(name)s: the picture is too large to open.", name=upload.original_name),
                    field="files",
                )
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((IMAGE_LONG_SIDE, IMAGE_LONG_SIDE), Image.Resampling.LANCZOS)
            out = BytesIO()
            if upload.content_type == PNG:
                # No ``pnginfo``/``exif`` argument: text chunks and EXIF are not copied.
                image.save(out, "PNG", optimize=True)
                content_type, suffix = PNG, ".png"
            else:
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                # No ``exif`` argument: EXIF (GPS included) is not written.
                image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
                content_type, suffix = JPEG, ".jpg"
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(
            _l("%(name)s: the picture could not be read.", name=upload.original_name),
            field="files",
        ) from exc
    name = upload.original_name
    if content_type == JPEG and not name.lower().endswith((".jpg", ".jpeg")):
        name = f"{name.rsplit('.', 1)[0] if '.' in name else name}{suffix}"[:200]
    return Upload(name, content_type, out.getvalue())


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
    consultation_event: Any = None,
) -> list[Attachment]:
    """Write validated files under generated names and add their rows (flushes, no commit).

    A file belongs to one owner: a ticket's audit row, a comment, or an expert's answer
    (``consultation_event``, a ConsultationEvent).
    """
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
            consultation_event_id=(
                consultation_event.id if consultation_event is not None else None
            ),
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
    is checked by the caller).

    A file of an expert's answer goes with the answer's text: whoever sees the ticket sees
    both (docs/decisions.md); an expert sees only the tickets they were consulted on.
    """
    from ticketing import permissions

    if row.consultation_event_id is not None:
        ticket = db.session.get(Ticket, row.ticket_id)
        return ticket is not None and permissions.can_view(user, ticket)
    if row.comment_id is None:
        return True
    comment = db.session.get(Comment, row.comment_id)
    return comment is None or not comment.internal or permissions.can_see_internal(user)
