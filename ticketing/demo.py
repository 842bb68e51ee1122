"""Demo data for East Java: schools, people and ~500 tickets with real audit trails.

Everything goes through the services (with the clock turned back), so the histories are
exactly what the application itself would have written.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ticketing.clock import frozen_at, utcnow
from ticketing.extensions import db
from ticketing.models import (
    ADMIN,
    DISTRICT_PMO,
    FACILITATOR,
    PROVINCE_PMO,
    Category,
    District,
    School,
    SchoolAssignment,
    Ticket,
    User,
)
from ticketing.services import tickets as ticket_service
from ticketing.services.regions import ensure_default_categories
from ticketing.vocabulary import STATE_TIER, State, Tier

PROVINCE = "35"  # Jawa Timur
DEMO_PASSWORD = "Penggerak-Demo-2026"
DOMAIN = "demo.psp.id"

_FIRST = [
    "Ahmad",
    "Siti",
    "Budi",
    "Dewi",
    "Eko",
    "Fitri",
    "Agus",
    "Rina",
    "Hadi",
    "Lestari",
    "Joko",
    "Nur",
    "Wahyu",
    "Yuni",
    "Bambang",
    "Sri",
    "Andi",
    "Ratna",
    "Dedi",
    "Indah",
]
_LAST = [
    "Santoso",
    "Rahmawati",
    "Wibowo",
    "Hidayat",
    "Kusuma",
    "Prasetyo",
    "Wulandari",
    "Saputra",
    "Handayani",
    "Setiawan",
    "Nugroho",
    "Susanti",
    "Purnomo",
    "Maharani",
]
_LEVELS = ["SD", "SD", "SD", "SMP", "SMP", "SMA", "SMK", "PAUD", "SLB"]
_PROBLEMS = {
    "akademik-perencanaan": [
        ("Kurikulum operasional sekolah belum disusun",
         "Tim pengembang kurikulum sekolah belum terbentuk sehingga KOS belum tersusun."),
        ("Modul ajar belum sesuai capaian pembelajaran",
         "Guru masih memakai RPP lama dan belum memahami alur tujuan pembelajaran."),
    ],
    "akademik-pembelajaran": [
        ("Asesmen diagnostik belum dilaksanakan",
         "Sebagian besar guru belum melakukan asesmen diagnostik di awal semester."),
        ("Projek penguatan profil pelajar Pancasila tertunda",
         "Projek P5 belum berjalan karena jadwal bentrok dengan kegiatan lain."),
    ],
    "akademik-kepemimpinan": [
        ("Kepala sekolah jarang melakukan supervisi kelas",
         "Supervisi akademik belum terjadwal; guru tidak mendapat umpan balik."),
    ],
    "nonakademik-sdm": [
        ("Tidak ada guru bahasa Inggris",
         "Sekolah tidak memiliki guru bahasa Inggris sejak awal tahun ajaran."),
        ("Kekurangan guru PJOK",
         "Satu guru PJOK mengajar seluruh rombel; perlu tambahan guru."),
    ],
    "nonakademik-anggaran": [
        ("Dana kegiatan program sekolah belum cair",
         "Anggaran tambahan untuk program sekolah penggerak belum diterima."),
    ],
    "nonakademik-teknologi": [
        ("Sekolah belum teraliri listrik stabil",
         "Listrik sering padam sehingga pembelajaran berbasis digital terhambat."),
        ("Guru belum memiliki laptop",
         "Lima guru tidak memiliki laptop untuk mengakses Platform Merdeka Mengajar."),
        ("Tidak ada akses internet di sekolah",
         "Sinyal internet sangat lemah dan sekolah belum berlangganan internet."),
    ],
    "nonakademik-kegiatan": [
        ("Jadwal lokakarya bentrok dengan ujian",
         "Lokakarya dari pemerintah daerah dijadwalkan bersamaan dengan ujian sekolah."),
    ],
    "nonakademik-lainnya": [
        ("Kepala sekolah dirotasi di tengah program",
         "Kepala sekolah dipindahkan meskipun ada kesepakatan untuk tidak merotasi."),
    ],
}  # fmt: skip
_RESOLUTIONS = [
    "Dinas sudah menugaskan guru pengganti mulai bulan depan.",
    "Sudah dikoordinasikan dengan bidang anggaran; dana dicairkan minggu ini.",
    "Pendampingan langsung oleh pengawas sekolah telah dilakukan.",
    "Dianggarkan pada APBD perubahan tahun ini; sekolah sudah diberi surat.",
    "Teknisi PLN sudah memperbaiki instalasi listrik sekolah.",
]
_REOPEN = [
    "Belum ada perubahan di sekolah; guru pengganti belum datang.",
    "Dana belum diterima sekolah sampai hari ini.",
]
# Target path per ticket, with weights: the demo shows every state.
_PATHS: list[tuple[list[str], int]] = [
    ([], 8),
    (["assign"], 12),
    (["escalate"], 5),
    (["assign", "escalate"], 6),
    (["assign", "resolve"], 8),
    (["assign", "escalate", "resolve"], 4),
    (["assign", "resolve", "verify"], 30),
    (["assign", "escalate", "resolve", "verify"], 10),
    (["assign", "resolve", "reopen", "resolve", "verify"], 6),
    (["assign", "escalate", "resolve", "reopen", "return_to_district", "resolve"], 3),
    (["assign", "resolve", "reopen"], 3),
    (["withdraw"], 3),
    (["assign", "withdraw"], 2),
]


DEMO_LOGINS = (
    (f"admin@{DOMAIN}", "administrator, Jawa Timur"),
    (f"nasional@{DOMAIN}", "administrator, national"),
    (f"provinsi1@{DOMAIN}", "province PMO, Jawa Timur"),
    (f"pmo.3578@{DOMAIN}", "district PMO, Kota Surabaya"),
    (f"pmo.3501@{DOMAIN}", "district PMO, Kabupaten Pacitan"),
    (f"fasilitator01@{DOMAIN}", "facilitator, Kabupaten Pacitan"),
)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _user(email: str, name: str, role: str, province: str | None, district: str | None,
          password_hash: str) -> User:  # fmt: skip
    user = User(email=email, name=name, role=role, province_code=province,
                district_code=district, password_hash=password_hash)  # fmt: skip
    db.session.add(user)
    return user


def seed(ticket_count: int = 500, seed_value: int = 2023) -> None:
    """Create the East Java demo (the caller commits). Expects regions to be loaded."""
    rng = random.Random(seed_value)
    ensure_default_categories()
    password_hash = generate_password_hash(DEMO_PASSWORD)  # hash once: seeding stays fast
    districts = list(db.session.scalars(
        select(District).where(District.province_code == PROVINCE).order_by(District.code)
    ))  # fmt: skip
    if not districts:
        raise RuntimeError("Load the regions first: flask regions load")

    _user(f"admin@{DOMAIN}", "Admin Jawa Timur", ADMIN, PROVINCE, None, password_hash)
    _user(f"nasional@{DOMAIN}", "Admin Nasional", ADMIN, None, None, password_hash)
    province_staff = [
        _user(f"provinsi{i}@{DOMAIN}", f"{_name(rng)} (Widyaprada)", PROVINCE_PMO, PROVINCE,
              None, password_hash)
        for i in range(1, 4)
    ]  # fmt: skip
    officers: dict[str, list[User]] = {}
    facilitators: list[tuple[User, list[School]]] = []
    npsn = 20500000
    for index, district in enumerate(districts):
        short = district.code.replace(".", "")
        officers[district.code] = [
            _user(f"pmo.{short}{'' if i == 0 else '.' + str(i + 1)}@{DOMAIN}",
                  f"{_name(rng)}", DISTRICT_PMO, PROVINCE, district.code, password_hash)
            for i in range(2 if index % 4 == 0 else 1)
        ]  # fmt: skip
        schools = []
        for _ in range(5 if index % 3 else 6):
            npsn += rng.randint(1, 97)
            level = rng.choice(_LEVELS)
            place = district.name.replace("Kabupaten ", "").replace("Kota ", "")
            schools.append(School(
                npsn=str(npsn), name=f"{level} Negeri {rng.randint(1, 12)} {place}", level=level,
                status="negeri", cohort=rng.choice([1, 2, 3]), district_code=district.code,
                province_code=PROVINCE,
            ))  # fmt: skip
        db.session.add_all(schools)
        # Each facilitator supports 3 to 5 schools of one district.
        for start in range(0, len(schools), 3):
            group = schools[start : start + 3]
            number = len(facilitators) + 1
            facilitator = _user(f"fasilitator{number:02d}@{DOMAIN}", _name(rng), FACILITATOR,
                                PROVINCE, district.code, password_hash)  # fmt: skip
            facilitator.assignments = [SchoolAssignment(school=s) for s in group]
            facilitators.append((facilitator, group))
    db.session.flush()

    categories = {c.code: c for c in db.session.scalars(select(Category))}
    paths, weights = zip(*_PATHS, strict=True)
    now = utcnow()
    # Raised in time order, so that ticket numbers follow the calendar as in real life.
    moments = sorted(now - timedelta(days=rng.uniform(5, 200)) for _ in range(ticket_count))
    for moment in moments:
        facilitator, schools = rng.choice(facilitators)
        school = rng.choice(schools)
        code = rng.choice(list(_PROBLEMS))
        title, description = rng.choice(_PROBLEMS[code])
        with frozen_at(moment):
            ticket = ticket_service.raise_ticket(
                facilitator, school=school, category=categories[code], title=title,
                description=description,
            )  # fmt: skip
        _play(ticket, rng.choices(paths, weights)[0], moment, now, rng,
              officers[school.district_code], rng.choice(province_staff), facilitator)  # fmt: skip


def _play(ticket: Ticket, steps: list[str], moment: datetime, now: datetime,
          rng: random.Random, officers: list[User], province_officer: User,
          facilitator: User) -> None:  # fmt: skip
    """Fire a path of events at believable intervals, never in the future."""
    officer = rng.choice(officers)
    for step in steps:
        moment = moment + timedelta(hours=rng.uniform(3, 96))
        if moment >= now:
            return
        province_tier = STATE_TIER.get(State(ticket.state)) == Tier.PROVINCE
        actor = {
            "assign": officer, "escalate": officer, "resolve":
            province_officer if province_tier else officer,
            "return_to_district": province_officer,
        }.get(step, facilitator)  # fmt: skip
        notes = {
            "escalate": "Di luar kewenangan dinas; perlu dukungan provinsi.",
            "resolve": rng.choice(_RESOLUTIONS),
            "return_to_district": "Mohon dinas menindaklanjuti dengan arahan dari provinsi.",
            "reopen": rng.choice(_REOPEN),
            "withdraw": "Masalah sudah diselesaikan sekolah sendiri.",
            "verify": "Sudah dicek di sekolah, masalah selesai.",
        }
        with frozen_at(moment):
            ticket_service.fire(ticket, step, actor=actor, note=notes.get(step),
                                assignee=officer if step == "assign" else None)  # fmt: skip


def is_empty() -> bool:
    """True when no ticket and no user exists yet."""
    return not db.session.scalar(select(func.count()).select_from(User))
