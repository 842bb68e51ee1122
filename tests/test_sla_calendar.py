"""Working-day arithmetic: weekends, national holidays, extra days off, time zones; policies."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ticketing import sla
from ticketing.errors import PermissionDenied
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, Category
from ticketing.services import sla_settings

WIB = sla.Calendar("Asia/Jakarta")
WIT = sla.Calendar("Asia/Jayapura")
WITA = sla.Calendar("Asia/Makassar")


def test_weekend_is_skipped() -> None:
    # Friday 7 March 2025, 10:00 WIB: Mon, Tue, Wed count; the deadline ends Wednesday.
    start = datetime(2025, 3, 7, 3, 0)
    due = WIB.add_working_days(start, 3)
    assert due == datetime(2025, 3, 12, 17, 0)  # Thursday 00:00 WIB
    assert WIB.last_working_day_before(due) == date(2025, 3, 12)


def test_entry_on_saturday_counts_from_monday() -> None:
    start = datetime(2025, 3, 8, 3, 0)  # Saturday 10:00 WIB
    assert WIB.add_working_days(start, 1) == datetime(2025, 3, 10, 17, 0)  # end of Monday


def test_independence_day_is_not_a_working_day() -> None:
    # 17 Agustus 2023 was a Thursday.
    assert not WIB.is_working_day(date(2023, 8, 17))
    start = datetime(2023, 8, 16, 3, 0)  # Wednesday 10:00 WIB
    due = WIB.add_working_days(start, 1)
    assert WIB.last_working_day_before(due) == date(2023, 8, 18)  # Friday, not Thursday
    assert due == datetime(2023, 8, 18, 17, 0)


def test_idul_fitri_and_cuti_bersama() -> None:
    # Idul Fitri 2025: Monday 31 March and Tuesday 1 April are national holidays.
    assert not WIB.is_working_day(date(2025, 3, 31))
    assert not WIB.is_working_day(date(2025, 4, 1))
    start = datetime(2025, 3, 27, 2, 0)  # Thursday 09:00 WIB
    due = WIB.add_working_days(start, 3)
    # Fri 28 March, (holidays), Wed 2 April, Thu 3 April.
    assert WIB.last_working_day_before(due) == date(2025, 4, 3)
    # The province adds the joint leave days (cuti bersama) 2, 3, 4 and 7 April.
    leave = frozenset({date(2025, 4, 2), date(2025, 4, 3), date(2025, 4, 4), date(2025, 4, 7)})
    with_leave = sla.Calendar("Asia/Jakarta", leave)
    due = with_leave.add_working_days(start, 3)
    # Fri 28 March, Tue 8 April, Wed 9 April.
    assert with_leave.last_working_day_before(due) == date(2025, 4, 9)
    assert due == datetime(2025, 4, 9, 17, 0)


def test_time_zones_decide_the_local_day() -> None:
    friday_night_utc = datetime(2025, 3, 7, 23, 30)
    assert WIT.local(friday_night_utc).date() == date(2025, 3, 8)  # already Saturday in WIT
    assert WIT.local(friday_night_utc).weekday() == 5
    # Thursday 16:30 UTC is Thursday 23:30 WIB but Friday 01:30 WIT.
    moment = datetime(2025, 3, 6, 16, 30)
    assert WIB.add_working_days(moment, 1) == datetime(2025, 3, 7, 17, 0)  # end of Fri WIB
    assert WIT.add_working_days(moment, 1) == datetime(2025, 3, 10, 15, 0)  # end of Mon WIT
    # In WITA it is Friday 00:30 too: Monday counts; midnight WITA is 16:00 UTC.
    assert WITA.add_working_days(moment, 1) == datetime(2025, 3, 10, 16, 0)


def test_working_days_between() -> None:
    due = datetime(2025, 3, 12, 17, 0)  # Thursday 13 March 00:00 WIB
    assert WIB.working_days_between(due, datetime(2025, 3, 12, 16, 59)) == 0
    assert WIB.working_days_between(due, datetime(2025, 3, 12, 17, 1)) == 1  # Thursday began
    assert WIB.working_days_between(due, datetime(2025, 3, 14, 3, 0)) == 2  # Friday
    assert WIB.working_days_between(due, datetime(2025, 3, 16, 3, 0)) == 2  # Sunday
    assert WIB.working_days_between(due, datetime(2025, 3, 17, 3, 0)) == 3  # Monday
    # Across Idul Fitri 2025: 28 March (Fri) ... 8 April (Tue); 31 March and 1 April are off.
    a, b = datetime(2025, 3, 27, 17, 0), datetime(2025, 4, 8, 3, 0)
    assert WIB.working_days_between(a, b) == 1 + 4 + 1  # Fri 28, Wed 2..Mon 7, Tue 8
    # Long spans use arithmetic, and agree with a day-by-day count.
    a, b = datetime(2023, 1, 1, 0, 0), datetime(2025, 6, 30, 0, 0)
    first, stop = WIB.local(a).date(), WIB.local(b).date()
    slow = sum(
        1
        for i in range(1, (stop - first).days + 1)
        if WIB.is_working_day(date.fromordinal(first.toordinal() + i))
    )
    assert WIB.working_days_between(a, b) == slow


def test_deadline_policy_lookup(world) -> None:
    category = world.category
    sub = Category(code="sub-test", kind=category.kind, name_id="Sub", name_en="Sub",
                   parent_id=category.id)  # fmt: skip
    db.session.add(sub)
    db.session.flush()
    assert sla.deadline_days("35", category.id, "raised") == 3
    assert sla.deadline_days("35", None, "escalated") == 10
    sla_settings.set_policy(world.admin, "35", "raised", 2)
    assert sla.deadline_days("35", category.id, "raised") == 2
    assert sla.deadline_days("33", category.id, "raised") == 3  # another province
    sla_settings.set_policy(world.admin, "35", "raised", 7, category_id=category.id)
    assert sla.deadline_days("35", category.id, "raised") == 7
    assert sla.deadline_days("35", sub.id, "raised") == 7  # inherited from the parent
    sla_settings.set_policy(world.admin, "35", "raised", 4, category_id=sub.id)
    assert sla.deadline_days("35", sub.id, "raised") == 4
    sla_settings.set_policy(world.admin, "35", "raised", 5)  # update, not a second row
    assert len(sla_settings.policies("35")) == 3
    sla_settings.set_policy(world.admin, "35", "raised", None)  # back to the default
    assert sla.deadline_days("35", None, "raised") == 3
    db.session.commit()
    actions = db.session.scalars(db.select(AdminLogEntry.action).order_by(AdminLogEntry.id)).all()
    assert actions == ["sla_policy_set"] * 4 + ["sla_policy_removed"]
    with pytest.raises(PermissionDenied):
        sla_settings.set_policy(world.admin_c, "35", "raised", 2)
    with pytest.raises(PermissionDenied):
        sla_settings.set_policy(world.province, "35", "raised", 2)


def test_ticket_gets_deadline_from_policy_and_days_off(world) -> None:
    from ticketing.clock import frozen_at

    sla_settings.set_policy(world.admin, "35", "raised", 2)
    sla_settings.add_day_off(world.admin, "35", date(2025, 3, 4), "Cuti bersama")
    # Another province's day off changes nothing for province 35.
    sla_settings.add_day_off(world.admin_c, "33", date(2025, 3, 5), "Elsewhere")
    db.session.commit()
    with frozen_at(datetime(2025, 3, 3, 2, 0)):  # Monday 09:00 WIB
        ticket = world.raise_ticket()
        db.session.commit()
    # Tue 4 is off: Wed 5 and Thu 6 count; the deadline is Friday 00:00 WIB.
    assert ticket.due_at == datetime(2025, 3, 6, 17, 0)
    assert sla.deadline_day(ticket) == date(2025, 3, 6)
    assert ticket.last_reminded_at is None
    logged = db.session.scalars(
        db.select(AdminLogEntry).where(AdminLogEntry.action == "day_off_added")
    )
    assert {(e.province_code, e.after["day"]) for e in logged} == {
        ("35", "2025-03-04"),
        ("33", "2025-03-05"),
    }
    with frozen_at(datetime(2025, 3, 7, 3, 0)):  # Friday 10:00 WIB
        assert sla.overdue_days(ticket) == 1
    with frozen_at(datetime(2025, 3, 6, 3, 0)):
        assert sla.overdue_days(ticket) is None
    days = sla_settings.days_off("35")
    sla_settings.remove_day_off(world.admin, days[0].id)
    assert sla.add_working_days(datetime(2025, 3, 3, 2, 0), 2, "35") == datetime(2025, 3, 5, 17, 0)
