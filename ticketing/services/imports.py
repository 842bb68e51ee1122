"""Bring schools, users and facilitator assignments in from CSV or XLSX files.

Two steps: validate() reads the whole file and says, for every bad row, its line number and
why; nothing is written. apply() writes the valid rows (bulk insert/update, no query per row)
and one summary line in the administrative log; the caller commits once.
Re-importing the same file changes nothing; a changed file updates by NPSN or e-mail.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, update

from ticketing import field_rules
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import (
    FACILITATOR,
    Category,
    District,
    ExpertField,
    Province,
    School,
    SchoolAssignment,
    User,
)
from ticketing.models.user import new_session_token
from ticketing.services import admin_log
from ticketing.services.schools import (
    NPSN_RE,
    drop_misplaced_assignments,
    normalise_district_code,
    normalise_npsn,
    parse_level,
    parse_status,
)
from ticketing.services.users import parse_role
from ticketing.vocabulary import ROLE_SCOPE, Role, Scope

SCHOOLS, USERS, ASSIGNMENTS = "schools", "users", "assignments"
KINDS = (SCHOOLS, USERS, ASSIGNMENTS)
EXTENSIONS = (".csv", ".xlsx")
_CHUNK = 5000  # rows per IN (...) query: well under SQLite's bound-parameter limit

# Accepted spellings of each column, after normalise_header().
_EMAIL = ("email", "e_mail", "surel", "alamat_email", "alamat_surel")
_DISTRICT = (
    "kode_kabupaten_kota", "kode_kab_kota", "kode_kabkota", "kode_kabupaten", "kode_kota",
    "kode_kab", "kab_kota", "kabupaten_kota", "kode_wilayah", "district_code", "district",
)  # fmt: skip
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    SCHOOLS: {
        "npsn": ("npsn",),
        "name": ("nama", "nama_sekolah", "nama_satuan_pendidikan", "name"),
        "level": ("jenjang", "jenjang_pendidikan", "bentuk_pendidikan", "level"),
        "status": ("status", "status_sekolah"),
        "district": _DISTRICT,
        "cohort": ("angkatan", "cohort"),
    },
    USERS: {
        "name": ("nama", "nama_lengkap", "name"),
        "email": _EMAIL,
        "role": ("peran", "role", "jabatan"),
        "region": (
            "kode_wilayah",
            "wilayah",
            "kode_daerah",
            "kode_provinsi",
            "region",
            "region_code",
            *_DISTRICT,
        ),
        # Experts only: category codes or names separated by ";" (services/consultations.py).
        "fields": (
            "bidang_keahlian",
            "bidang",
            "keahlian",
            "fields_of_expertise",
            "fields",
            "expertise",
        ),
    },
    ASSIGNMENTS: {"email": _EMAIL, "npsn": ("npsn",)},
}
REQUIRED = {
    SCHOOLS: ("npsn", "name", "level", "district"),
    USERS: ("name", "email", "role", "region"),
    ASSIGNMENTS: ("email", "npsn"),
}


@dataclass
class RowError:
    """A refused row: its line in the file and every reason, in plain words."""

    line: int
    reasons: list[str]

    @property
    def message(self) -> str:
        """All reasons in one sentence list."""
        return " ".join(self.reasons)


@dataclass
class ImportResult:
    """What an import found (and, once applied, wrote)."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    written: bool = False
    inserts: list[dict[str, Any]] = field(default_factory=list, repr=False)
    updates: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # Users: the experts' fields of expertise to set (e-mail -> category ids).
    expert_fields: dict[str, set[int]] = field(default_factory=dict, repr=False)

    @property
    def refused(self) -> int:
        """How many rows were refused."""
        return len(self.errors)

    def counts(self) -> dict[str, int]:
        """The figures for the log and the report."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
        }


# --- Reading files ----------------------------------------------------------------------------


def normalise_header(text: Any) -> str:
    """'Kode Kabupaten/Kota' -> 'kode_kabupaten_kota'."""
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_")


def _cell(value: Any) -> str:
    # Spreadsheets turn codes into numbers: 20500001.0 must read as "20500001".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    line = 1
    for row in reader:
        yield line, [_cell(v) for v in row]
        line = reader.line_num + 1


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.active
        if sheet is None:
            return
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(v) for v in row]
    finally:
        workbook.close()


# Limits checked before a file is parsed (config IMPORT_MAX_ROWS, IMPORT_MAX_UNPACKED_BYTES):
# a 48 KB XLSX can unpack to 14 MB of XML and 150,000 rows.
MAX_ROWS = 50_000
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension[^>]*\bref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')


def _limits() -> tuple[int, int]:
    from flask import current_app, has_app_context

    if not has_app_context():
        return MAX_ROWS, MAX_UNPACKED_BYTES
    config = current_app.config
    return (
        int(config.get("IMPORT_MAX_ROWS") or MAX_ROWS),
        int(config.get("IMPORT_MAX_UNPACKED_BYTES") or MAX_UNPACKED_BYTES),
    )


def _too_many_rows(limit: int) -> str:
    return _(
        "The file has more than %(limit)s rows; split it into smaller files of at most"
        " %(limit)s rows.",
        limit=f"{limit:,}".replace(",", "."),
    )


def check_limits(path: Path) -> str | None:
    """Why the file is too big to parse (unpacked size, rows), before parsing it; or None."""
    import zipfile

    max_rows, max_bytes = _limits()
    if path.suffix.lower() == ".xlsx":
        try:
            with zipfile.ZipFile(path) as archive:
                entries = archive.infolist()
                if sum(entry.file_size for entry in entries) > max_bytes:
                    return _(
                        "The file is too large once unpacked (more than %(mb)d MB); split it"
                        " into smaller files.",
                        mb=max_bytes // (1024 * 1024),
                    )
                sheets = [e for e in entries if e.filename.startswith("xl/worksheets/sheet")]
                for sheet in sheets[:1]:
                    with archive.open(sheet) as stream:
                        head = stream.read(4096)
                    found = _DIMENSION.search(head)
                    if found and int(found.group(1)) > max_rows + 1:
                        return _too_many_rows(max_rows)
        except (zipfile.BadZipFile, OSError, ValueError):
            return _("The file could not be read; save it as CSV or XLSX and try again.")
        return None
    if path.stat().st_size > max_bytes:
        return _(
            "The file is too large once unpacked (more than %(mb)d MB); split it into smaller"
            " files.",
            mb=max_bytes // (1024 * 1024),
        )
    with path.open("rb") as stream:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 16), b""))
    if lines > max_rows + 1:
        return _too_many_rows(max_rows)
    return None


def read_rows(kind: str, path: Path) -> tuple[list[tuple[int, dict[str, str]]], str | None]:
    """The data rows as (line number, {field: text}), or a reason the file cannot be read."""
    suffix = path.suffix.lower()
    problem = check_limits(path)
    if problem:
        return [], problem
    max_rows, _bytes = _limits()
    try:
        lines = []
        # A sheet without a dimension is still cut off: parsing stops past the limit.
        for line in _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path):
            lines.append(line)
            if len(lines) > max_rows + 1:
                return [], _too_many_rows(max_rows)
    except Exception:  # any parser failure means the same to the user
        return [], _("The file could not be read; save it as CSV or XLSX and try again.")
    lines = [(n, cells) for n, cells in lines if any(cells)]
    if not lines:
        return [], _("The file is empty.")
    header_line, header = lines[0]
    names = [normalise_header(h) for h in header]
    index: dict[str, int] = {}
    for key, spellings in COLUMNS[kind].items():
        for spelling in spellings:
            if spelling in names:
                index[key] = names.index(spelling)
                break
    missing = [COLUMNS[kind][key][0] for key in REQUIRED[kind] if key not in index]
    if missing:
        return [], _(
            "Column(s) missing on line %(line)d: %(columns)s.",
            line=header_line,
            columns=", ".join(missing),
        )
    rows = []
    for number, cells in lines[1:]:
        rows.append((number, {key: cells[i] if i < len(cells) else "" for key, i in index.items()}))
    return rows, None


# --- Shared helpers ---------------------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _load_by(column: Any, keys: Iterable[Any], *entities: Any) -> list[Any]:
    """Rows whose column is in keys, a few large queries rather than one per row."""
    found: list[Any] = []
    # Core rows through the session's connection: the ORM's per-row work is not needed here.
    connection = db.session.connection()
    for chunk in _chunks(sorted(set(keys))):
        found.extend(connection.execute(select(*entities).where(column.in_(chunk))).all())
    return found


def _regions() -> tuple[dict[str, District], dict[str, Province]]:
    districts = {d.code: d for d in db.session.scalars(select(District))}
    provinces = {p.code: p for p in db.session.scalars(select(Province))}
    return districts, provinces


class _Errors:
    """Reasons per line, kept in file order."""

    def __init__(self) -> None:
        self.by_line: dict[int, list[str]] = {}

    def add(self, line: int, reason: str) -> None:
        self.by_line.setdefault(line, []).append(reason)

    def has(self, line: int) -> bool:
        return line in self.by_line

    def as_list(self) -> list[RowError]:
        return [RowError(line, reasons) for line, reasons in sorted(self.by_line.items())]


def _region_name(code: str | None, districts: dict[str, District]) -> str:
    district = districts.get(code or "")
    return f"{code} ({district.name})" if district else str(code)


# --- Schools ----------------------------------------------------------------------------------


def _validate_schools(
    rows: list[tuple[int, dict[str, str]]], scope: str | None, result: ImportResult
) -> None:
    districts, _provinces = _regions()
    errors = _Errors()
    seen: dict[str, int] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for line, row in rows:
        npsn = normalise_npsn(row.get("npsn"))
        if not npsn:
            errors.add(line, _("The NPSN is missing."))
        elif not NPSN_RE.match(npsn):
            errors.add(
                line,
                _(
                    "Invalid NPSN “%(value)s”: it must have exactly 8 digits or letters.",
                    value=npsn,
                ),
            )
        elif npsn in seen:
            errors.add(
                line,
                _("Duplicate NPSN %(npsn)s: already on line %(line)d.", npsn=npsn, line=seen[npsn]),
            )
        else:
            seen[npsn] = line
        name = row.get("name", "").strip()
        problem = field_rules.school_name(name)
        if problem is not None:
            errors.add(line, str(problem))
        raw_level = row.get("level", "")
        level = parse_level(raw_level)
        if not raw_level:
            errors.add(line, _("The level (jenjang) is missing."))
        elif level is None:
            errors.add(
                line,
                _(
                    "Unknown level “%(value)s”: use PAUD, SD, SMP, SMA, SMK or SLB.",
                    value=raw_level,
                ),
            )
        status_ok, status = parse_status(row.get("status"))
        if not status_ok:
            errors.add(
                line,
                _("Unknown status “%(value)s”: use Negeri or Swasta.", value=row.get("status")),
            )
        raw_district = row.get("district", "")
        code = normalise_district_code(raw_district)
        district = districts.get(code)
        if not raw_district:
            errors.add(line, _("The district code (kode kabupaten/kota) is missing."))
        elif district is None:
            errors.add(
                line,
                _("Unknown district code “%(value)s” (expected e.g. 52.01).", value=raw_district),
            )
        elif scope is not None and district.province_code != scope:
            errors.add(
                line,
                _(
                    "District %(district)s is outside your province.",
                    district=_region_name(code, districts),
                ),
            )
        raw_cohort = row.get("cohort", "")
        cohort: int | None = None
        if raw_cohort:
            if re.fullmatch(r"\d{1,3}", raw_cohort):
                cohort = int(raw_cohort)
            else:
                errors.add(
                    line,
                    _("The cohort (angkatan) “%(value)s” is not a whole number.", value=raw_cohort),
                )
        if errors.has(line) or district is None or level is None:
            continue
        valid.append(
            (
                line,
                {
                    "npsn": npsn,
                    "name": name,
                    "level": level,
                    "status": status,
                    "cohort": cohort,
                    "district_code": district.code,
                    "province_code": district.province_code,
                },
            )
        )
    existing = {
        r.npsn: r
        for r in _load_by(
            School.npsn,
            (v["npsn"] for _line, v in valid),
            School.id, School.npsn, School.name, School.level, School.status, School.cohort,
            School.district_code, School.province_code,
        )
    }  # fmt: skip
    now = utcnow()
    for line, values in valid:
        old = existing.get(values["npsn"])
        if old is None:
            result.inserts.append({**values, "active": True, "created_at": now, "updated_at": now})
            continue
        if scope is not None and old.province_code != scope:
            errors.add(
                line,
                _("NPSN %(npsn)s belongs to a school of another province.", npsn=values["npsn"]),
            )
            continue
        if all(getattr(old, key) == value for key, value in values.items()):
            result.unchanged += 1
        else:
            result.updates.append({"id": old.id, **values, "updated_at": now})
    result.created, result.updated = len(result.inserts), len(result.updates)
    result.errors = errors.as_list()


# --- Users ------------------------------------------------------------------------------------


def _validate_users(
    rows: list[tuple[int, dict[str, str]]], scope: str | None, result: ImportResult
) -> None:
    districts, provinces = _regions()
    categories = _category_words()
    errors = _Errors()
    seen: dict[str, int] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for line, row in rows:
        name = row.get("name", "").strip()
        problem = field_rules.user_name(name)
        if problem is not None:
            errors.add(line, str(problem))
        raw_email = row.get("email", "").strip()
        email = ""
        if not raw_email:
            errors.add(line, _("The e-mail address is missing."))
        else:
            try:
                email = validate_email(raw_email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                errors.add(line, _("Bad e-mail address “%(value)s”.", value=raw_email))
            else:
                if email in seen:
                    errors.add(
                        line,
                        _(
                            "Duplicate e-mail %(email)s: already on line %(line)d.",
                            email=email,
                            line=seen[email],
                        ),
                    )
                else:
                    seen[email] = line
        raw_role = row.get("role", "")
        role = parse_role(raw_role)
        if not raw_role:
            errors.add(line, _("The role (peran) is missing."))
        elif role is None:
            errors.add(
                line,
                _(
                    "Unknown role “%(value)s”: use fasilitator, pmo_kabupaten, pmo_provinsi,"
                    " pmo_pusat, narasumber or admin.",
                    value=raw_role,
                ),
            )
        raw_region = row.get("region", "").strip()
        province_code: str | None = None
        district_code: str | None = None
        role_scope = ROLE_SCOPE.get(Role(role)) if role is not None else None
        if role_scope == Scope.DISTRICT:
            code = normalise_district_code(raw_region)
            if not raw_region:
                errors.add(line, _("This role needs a district code (kode wilayah, e.g. 52.01)."))
            elif raw_region in provinces:
                errors.add(
                    line,
                    _(
                        "Role and region do not match: a %(role)s works in a district"
                        " (e.g. %(example)s), not in the whole province %(code)s.",
                        role=_role_word(role),
                        example=f"{raw_region}.01",
                        code=raw_region,
                    ),
                )
            elif code not in districts:
                errors.add(line, _("Unknown district code “%(value)s”.", value=raw_region))
            else:
                district_code, province_code = code, districts[code].province_code
        elif role_scope == Scope.NATIONAL:
            if raw_region:
                errors.add(
                    line, _("This role works for the whole country: leave the region empty.")
                )
            elif scope is not None:
                errors.add(line, _("Only a national administrator can create this account."))
        elif role_scope in (Scope.PROVINCE, Scope.PROVINCE_OR_NATIONAL):
            code = normalise_district_code(raw_region)
            if not raw_region and role_scope == Scope.PROVINCE:
                errors.add(line, _("This role needs a province code (kode wilayah, e.g. 52)."))
            elif not raw_region:
                if scope is not None and role == Role.EXPERT:
                    errors.add(line, _("Only a national administrator can add national experts."))
                elif scope is not None:
                    errors.add(line, _("You cannot create a national administrator."))
            elif role == Role.ADMIN and scope is not None:
                # Administrators are managed by national administrators only.
                errors.add(line, _("Only a national administrator can create administrators."))
            elif code in districts:
                errors.add(
                    line,
                    _(
                        "Role and region do not match: a %(role)s works for a whole province"
                        " (e.g. %(example)s), not a district (%(code)s).",
                        role=_role_word(role),
                        example=code[:2],
                        code=code,
                    ),
                )
            elif raw_region not in provinces:
                errors.add(line, _("Unknown province code “%(value)s”.", value=raw_region))
            else:
                province_code = raw_region
        if (
            scope is not None
            and province_code is not None
            and province_code != scope
            and not errors.has(line)
        ):
            errors.add(
                line,
                _(
                    "Region %(code)s is outside your province.",
                    code=_region_name(district_code or province_code, districts),
                ),
            )
        fields = _expert_fields(row.get("fields", ""), role, categories, errors, line)
        if errors.has(line) or role is None:
            continue
        if fields is not None:
            result.expert_fields[email] = fields
        valid.append(
            (
                line,
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "province_code": province_code,
                    "district_code": district_code,
                },
            )
        )
    existing = {
        r.email.lower(): r
        for r in _load_by(
            func.lower(User.email),
            (v["email"] for _line, v in valid),
            User.id, User.email, User.name, User.role, User.province_code, User.district_code,
        )
    }  # fmt: skip
    fields_now = _current_fields([old.id for old in existing.values()])
    now = utcnow()
    for line, values in valid:
        old = existing.get(values["email"])
        if old is None:
            result.inserts.append(
                {
                    **values, "active": True, "locale": "id", "email_notifications": True,
                    "session_token": new_session_token(), "created_at": now,
                }
            )  # fmt: skip
            continue
        if scope is not None and old.province_code != scope:
            errors.add(line, _("This e-mail belongs to an account outside your province."))
            continue
        if scope is not None and old.role == Role.ADMIN:
            errors.add(line, _("Only a national administrator can create administrators."))
            continue
        values["email"] = old.email
        wanted = result.expert_fields.pop(values["email"].lower(), None)
        if wanted is not None:
            result.expert_fields[values["email"]] = wanted
        same_fields = wanted is None or wanted == fields_now.get(old.id, set())
        if values["role"] != Role.EXPERT and fields_now.get(old.id):
            same_fields = False  # no longer an expert: the fields go
        if same_fields and all(getattr(old, key) == value for key, value in values.items()):
            result.unchanged += 1
        else:
            result.updates.append({"id": old.id, **values})
    result.created, result.updated = len(result.inserts), len(result.updates)
    result.errors = errors.as_list()


def _category_words() -> dict[str, set[int]]:
    """Every way a category may be written in the fields column: code, Indonesian or English
    name (lower case) -> the ids it may mean; inactive categories map to -id."""
    words: dict[str, set[int]] = {}
    for category in db.session.scalars(select(Category)):
        value = category.id if category.active else -category.id
        for word in (category.code, category.name_id, category.name_en):
            if word:
                words.setdefault(" ".join(word.lower().split()), set()).add(value)
    return words


def _expert_fields(
    raw: str, role: str | None, categories: dict[str, set[int]], errors: _Errors, line: int
) -> set[int] | None:
    """The category ids of a fields cell ("kurikulum; pembelajaran"); None when empty.

    An empty cell leaves an expert's fields as they are.
    """
    words = [" ".join(w.lower().split()) for w in raw.split(";")]
    words = [w for w in words if w]
    if not words:
        return None
    if role is not None and role != Role.EXPERT:
        errors.add(line, _("Only experts (Widyaprada, narasumber) have fields of expertise."))
        return None
    found: set[int] = set()
    for word, original in zip(words, [w.strip() for w in raw.split(";") if w.strip()], strict=True):
        ids = categories.get(word, set())
        if not ids:
            errors.add(
                line,
                _("Unknown field of expertise “%(value)s”: use a category code or name.",
                  value=original),
            )  # fmt: skip
        elif len(ids) > 1:
            errors.add(
                line,
                _("“%(value)s” names more than one category: use its code.", value=original),
            )
        elif min(ids) < 0:
            errors.add(line, _("The category “%(value)s” is deactivated.", value=original))
        else:
            found |= ids
    return found


def _current_fields(user_ids: list[int]) -> dict[int, set[int]]:
    """The fields of expertise the given users have now."""
    fields: dict[int, set[int]] = {}
    for user_id, category_id in _load_by(
        ExpertField.user_id, user_ids, ExpertField.user_id, ExpertField.category_id
    ):
        fields.setdefault(user_id, set()).add(category_id)
    return fields


def _write_expert_fields(result: ImportResult) -> None:
    """Set the experts' fields named in the file; drop those of users no longer experts."""
    emails = [row["email"] for row in (*result.inserts, *result.updates)]
    users = {r.email: r for r in _load_by(User.email, emails, User.id, User.email, User.role)}
    now = _current_fields([u.id for u in users.values()])
    connection = db.session.connection()
    removals: list[dict[str, int]] = []
    additions: list[dict[str, int]] = []
    for email, user in users.items():
        have = now.get(user.id, set())
        want = result.expert_fields.get(email) if user.role == Role.EXPERT else set()
        if want is None:
            continue  # an expert whose cell was empty keeps their fields
        removals += [{"u": user.id, "c": c} for c in sorted(have - want)]
        additions += [{"user_id": user.id, "category_id": c} for c in sorted(want - have)]
    table = ExpertField.__table__
    if removals:
        connection.execute(
            delete(table).where(
                table.c.user_id == bindparam("u"), table.c.category_id == bindparam("c")
            ),
            removals,
        )
    if additions:
        connection.execute(insert(table), additions)


def _role_word(role: str | None) -> str:
    from ticketing.i18n import ROLE_LABELS

    return str(ROLE_LABELS.get(role or "", role)).lower()


# --- Assignments ------------------------------------------------------------------------------


def _validate_assignments(
    rows: list[tuple[int, dict[str, str]]], scope: str | None, result: ImportResult
) -> None:
    districts, _provinces = _regions()
    errors = _Errors()
    seen: dict[tuple[str, str], int] = {}
    parsed: list[tuple[int, str, str]] = []
    for line, row in rows:
        raw_email = row.get("email", "").strip()
        npsn = normalise_npsn(row.get("npsn"))
        email = ""
        if not raw_email:
            errors.add(line, _("The e-mail address is missing."))
        else:
            try:
                email = validate_email(raw_email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                errors.add(line, _("Bad e-mail address “%(value)s”.", value=raw_email))
        if not npsn:
            errors.add(line, _("The NPSN is missing."))
        elif not NPSN_RE.match(npsn):
            errors.add(
                line,
                _(
                    "Invalid NPSN “%(value)s”: it must have exactly 8 digits or letters.",
                    value=npsn,
                ),
            )
        if errors.has(line):
            continue
        if (email, npsn) in seen:
            errors.add(
                line,
                _("The same assignment is already on line %(line)d.", line=seen[(email, npsn)]),
            )
            continue
        seen[(email, npsn)] = line
        parsed.append((line, email, npsn))
    users = {
        r.email.lower(): r
        for r in _load_by(
            func.lower(User.email), (e for _l, e, _n in parsed),
            User.id, User.email, User.role, User.province_code, User.district_code,
        )
    }  # fmt: skip
    schools = {
        r.npsn: r
        for r in _load_by(
            School.npsn, (n for _l, _e, n in parsed),
            School.id, School.npsn, School.district_code, School.province_code, School.active,
        )
    }  # fmt: skip
    pairs: list[tuple[int, int, int]] = []
    for line, email, npsn in parsed:
        user = users.get(email)
        if user is None or (scope is not None and user.province_code != scope):
            errors.add(line, _("No user with the e-mail %(email)s in your province.", email=email))
        elif user.role != FACILITATOR:
            errors.add(
                line,
                _(
                    "%(email)s is not a facilitator (role: %(role)s).",
                    email=email,
                    role=_role_word(user.role),
                ),
            )
        school = schools.get(npsn)
        if school is None or (scope is not None and school.province_code != scope):
            errors.add(
                line, _("Unknown school: no school with NPSN %(npsn)s in your province.", npsn=npsn)
            )
        elif not school.active:
            errors.add(line, _("School %(npsn)s is deactivated.", npsn=npsn))
        if errors.has(line) or user is None or school is None:
            continue
        if school.district_code != user.district_code:
            errors.add(
                line,
                _(
                    "School %(npsn)s is in district %(school_district)s, but the facilitator"
                    " works in %(user_district)s.",
                    npsn=npsn,
                    school_district=_region_name(school.district_code, districts),
                    user_district=_region_name(user.district_code, districts),
                ),
            )
            continue
        pairs.append((line, user.id, school.id))
    existing = {
        (r.facilitator_id, r.school_id)
        for r in _load_by(
            SchoolAssignment.facilitator_id,
            (uid for _l, uid, _s in pairs),
            SchoolAssignment.facilitator_id,
            SchoolAssignment.school_id,
        )
    }
    now = utcnow()
    for _line, user_id, school_id in pairs:
        if (user_id, school_id) in existing:
            result.unchanged += 1
        else:
            result.inserts.append(
                {"facilitator_id": user_id, "school_id": school_id, "created_at": now}
            )
    result.created = len(result.inserts)
    result.errors = errors.as_list()


# --- Entry points -----------------------------------------------------------------------------

_VALIDATORS = {
    SCHOOLS: _validate_schools,
    USERS: _validate_users,
    ASSIGNMENTS: _validate_assignments,
}
_MODELS: dict[str, Any] = {SCHOOLS: School, USERS: User, ASSIGNMENTS: SchoolAssignment}


def import_scope(actor: User | None, province_code: str | None = None) -> str | None:
    """The province an import is limited to: the administrator's, or the one given (CLI)."""
    from ticketing import permissions

    return permissions.import_scope(actor, province_code)


def validate(
    kind: str, path: Path, *, actor: User | None, province_code: str | None = None
) -> ImportResult:
    """Read and check every row; compute what would be created and updated. Writes nothing."""
    if kind not in KINDS:
        raise InvalidInput(_l("Unknown kind of import."), field="kind")
    rows, problem = read_rows(kind, path)
    return validate_rows(kind, rows, problem, actor=actor, province_code=province_code)


def validate_rows(
    kind: str,
    rows: list[tuple[int, dict[str, str]]],
    problem: str | None,
    *,
    actor: User | None,
    province_code: str | None = None,
) -> ImportResult:
    """Check rows already parsed (staged): the database checks only, no parsing."""
    if kind not in KINDS:
        raise InvalidInput(_l("Unknown kind of import."), field="kind")
    result = ImportResult(kind=kind)
    if problem:
        result.file_error = problem
        return result
    result.rows = len(rows)
    _VALIDATORS[kind](rows, import_scope(actor, province_code), result)
    return result


# --- Staging: parse once at upload; preview and confirm read the parsed rows ------------------


def stage(kind: str, upload: Path, staged: Path) -> None:
    """Parse ``upload`` once (within the limits) and keep the rows as JSON in ``staged``."""
    import json

    rows, problem = read_rows(kind, upload)
    payload = {"kind": kind, "problem": problem, "rows": [[n, r] for n, r in rows]}
    staged.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def load_staged(staged: Path) -> tuple[str, list[tuple[int, dict[str, str]]], str | None]:
    """The kind, rows and file problem kept by :func:`stage`."""
    import json

    payload = json.loads(staged.read_text(encoding="utf-8"))
    rows = [(int(n), {str(k): str(v) for k, v in r.items()}) for n, r in payload["rows"]]
    return str(payload["kind"]), rows, payload["problem"]


def apply(
    result: ImportResult, *, actor: User | None, filename: str, province_code: str | None = None
) -> ImportResult:
    """Write the valid rows of a validated import (bulk) and log one summary; never commits."""
    if result.file_error:
        raise InvalidInput(result.file_error)
    table = _MODELS[result.kind].__table__
    connection = db.session.connection()
    # Core executemany: one statement for all rows, batched by the driver.
    if result.inserts:
        connection.execute(insert(table), result.inserts)
    if result.updates:
        keys = [key for key in result.updates[0] if key != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({key: bindparam(f"v_{key}") for key in keys})
        )
        connection.execute(
            statement,
            [{"row_id": row["id"], **{f"v_{k}": row[k] for k in keys}} for row in result.updates],
        )
    if result.kind == USERS:
        _write_expert_fields(result)
    if result.kind == USERS and result.inserts:
        _invite_new_users([row["email"] for row in result.inserts])
    summary: dict[str, Any] = {"file": filename, **result.counts()}
    if result.updates and result.kind in (SCHOOLS, USERS):
        # A school that moved district, or a facilitator who did, loses what no longer fits.
        removed = drop_misplaced_assignments(province_code=import_scope(actor, province_code))
        summary["assignments_removed"] = len(removed)
    admin_log.record(
        actor, f"import_{result.kind}", target_type="import", target_id=None,
        province_code=import_scope(actor, province_code), after=summary,
    )  # fmt: skip
    result.written = True
    return result


def _invite_new_users(emails: list[str]) -> None:
    """With mail configured, every new account gets its first sign-in link by e-mail."""
    from ticketing.services import tokens

    if not tokens.mail_configured():
        return
    for chunk in _chunks(emails):
        for user in db.session.scalars(select(User).where(User.email.in_(chunk))):
            tokens.queue_link(user, tokens.INVITE)


def run(
    kind: str, path: Path, *, actor: User | None, filename: str, confirm: bool,
    province_code: str | None = None,
) -> ImportResult:  # fmt: skip
    """Validate and, when confirmed, write: the one call the views and the CLI make."""
    result = validate(kind, path, actor=actor, province_code=province_code)
    if confirm and not result.file_error:
        apply(result, actor=actor, filename=filename, province_code=province_code)
    return result
