"""Load the official provinces and districts, and the default categories."""

from __future__ import annotations

import csv
from pathlib import Path

from ticketing.extensions import db
from ticketing.models import ACADEMIC, NON_ACADEMIC, Category, District, Province

REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "regions.csv"

DEFAULT_CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    ("akademik-perencanaan", ACADEMIC, "Perencanaan IKM di sekolah",
     "Planning the new curriculum at the school"),
    ("akademik-pembelajaran", ACADEMIC, "Pelaksanaan pembelajaran IKM",
     "Carrying out learning under the new curriculum"),
    ("akademik-kepemimpinan", ACADEMIC, "Kepala sekolah sebagai pemimpin pembelajaran",
     "The principal as learning leader"),
    ("nonakademik-sdm", NON_ACADEMIC, "Sumber daya manusia", "Human resources"),
    ("nonakademik-anggaran", NON_ACADEMIC, "Anggaran", "Budget"),
    ("nonakademik-teknologi", NON_ACADEMIC, "Teknologi (listrik, internet, perangkat)",
     "Technology (electricity, internet, devices)"),
    ("nonakademik-kegiatan", NON_ACADEMIC, "Kegiatan", "Activities"),
    ("nonakademik-lainnya", NON_ACADEMIC, "Lainnya", "Other"),
)  # fmt: skip


def load_regions(path: Path = REGIONS_CSV) -> tuple[int, int]:
    """Insert or update every province and district from the CSV; returns the counts."""
    provinces: dict[str, Province] = {p.code: p for p in db.session.scalars(db.select(Province))}
    districts: dict[str, District] = {d.code: d for d in db.session.scalars(db.select(District))}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["kind"] != "province":
            continue
        province = provinces.get(row["code"]) or Province(code=row["code"])
        province.name, province.timezone = row["name"], row["timezone"]
        provinces[row["code"]] = province
        db.session.add(province)
    db.session.flush()
    for row in rows:
        if row["kind"] == "province":
            continue
        district = districts.get(row["code"]) or District(code=row["code"])
        district.name, district.kind = row["name"], row["kind"]
        district.province_code = row["parent_code"]
        db.session.add(district)
    db.session.flush()
    province_count = sum(1 for r in rows if r["kind"] == "province")
    return province_count, len(rows) - province_count


def ensure_default_categories() -> int:
    """Create the programme's standard categories that are missing; returns how many."""
    existing = set(db.session.scalars(db.select(Category.code)))
    added = 0
    for position, (code, kind, name_id, name_en) in enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        db.session.add(
            Category(code=code, kind=kind, name_id=name_id, name_en=name_en, position=position)
        )
        added += 1
    db.session.flush()
    return added
