"""Evidence photos as phones take them: re-encoded, upright, without EXIF/GPS; HEIC accepted;
the limits the form states are the ones enforced; an over-limit request keeps the text."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import login
from tests.photos import phone_heic, phone_jpeg
from ticketing.extensions import db
from ticketing.models import Attachment, Ticket
from ticketing.services import attachments


def _stored(app, row: Attachment) -> bytes:
    return attachments.path_of(row).read_bytes()


def _raise(client, world, files, title="Atap kelas bocor"):
    return client.post(
        "/tickets/new",
        data={"school": str(world.school_a.id), "category": str(world.category.id),
              "title": title, "description": "Air masuk ke kelas 3 saat hujan.",
              "files": files},
        content_type="multipart/form-data",
    )  # fmt: skip


def test_photo_is_reencoded_upright_and_without_metadata(app, client, world):
    original = phone_jpeg(seed=3)
    assert b"PhoneMaker" in original and b"Exif\x00\x00" in original
    assert len(original) > 4 * 1024 * 1024
    login(client, world.facilitator_a)
    response = _raise(client, world, [(io.BytesIO(original), "IMG_0001.JPG")])
    assert response.status_code == 302
    row = db.session.scalars(select(Attachment)).one()
    data = _stored(app, row)
    assert row.size_bytes == len(data) < 1024 * 1024
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (1536, 2048)  # 4000x3000 turned upright (EXIF 6), long side 2048
    assert not dict(image.getexif())  # no orientation, maker or GPS left
    # No Exif segment at all (where GPS would live). Not b"GPS" in the bytes: three bytes
    # turn up by chance in half a megabyte of compressed picture (it did, once in CI).
    assert "exif" not in image.info and b"Exif\x00\x00" not in data
    assert b"PhoneMaker" not in data


def test_heic_photo_becomes_jpeg(app, client, world):
    login(client, world.facilitator_a)
    response = _raise(client, world, [(io.BytesIO(phone_heic()), "IMG_0002.HEIC")])
    assert response.status_code == 302
    row = db.session.scalars(select(Attachment)).one()
    assert row.content_type == "image/jpeg" and row.original_name == "IMG_0002.jpg"
    image = Image.open(io.BytesIO(_stored(app, row)))
    assert image.format == "JPEG" and not dict(image.getexif())


def test_a_file_that_only_claims_to_be_a_picture_is_refused(app, client, world):
    login(client, world.facilitator_a)
    fake = b"\xff\xd8\xff" + b"not really a jpeg" * 10
    response = _raise(client, world, [(io.BytesIO(fake), "foto.jpg")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "could not be read" in page
    assert "Atap kelas bocor" in page  # the text stays
    assert "choose them again: foto.jpg" in page  # the file is named to be chosen again


def test_the_form_states_the_limits_the_server_enforces(app, client, world):
    login(client, world.facilitator_a)
    page = client.get("/tickets/new").get_data(as_text=True)
    stated = re.search(r"up to (\d+) files of (\d+) MB each", page)
    assert stated is not None
    assert int(stated.group(1)) == attachments.MAX_FILES
    assert int(stated.group(2)) * 1024 * 1024 == attachments.MAX_FILE_BYTES
    assert app.config["MAX_CONTENT_LENGTH"] > attachments.MAX_FILES * attachments.MAX_FILE_BYTES
    # One byte over the stated size is refused, with the size named.
    big = b"%PDF-" + b"0" * attachments.MAX_FILE_BYTES
    response = _raise(client, world, [(io.BytesIO(big), "laporan.pdf")])
    assert response.status_code == 400
    assert f"larger than {attachments.MAX_FILE_MB} MB" in response.get_data(as_text=True)


@pytest.mark.indonesian
def test_over_limit_request_comes_back_with_its_text(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login(client, world.facilitator_a)
    big = b"%PDF-" + b"0" * (100 * 1024)
    response = _raise(client, world, [(io.BytesIO(big), "scan-besar.pdf")], title="Judul saya")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tickets/new")
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'value="Judul saya"' in page
    assert "Air masuk ke kelas 3 saat hujan.</textarea>" in page
    assert "scan-besar.pdf" in page  # named, to be chosen again
    assert "pilih lagi berkas ini: scan-besar.pdf" in page
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    # Shown once: the next visit is an empty form.
    assert "Judul saya" not in client.get("/tickets/new").get_data(as_text=True)
