"""Working days: weekends and holidays skipped, counted in the depot's zone, whatever the viewer's."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.working_days import (
    add_working_days,
    add_working_seconds,
    holidays,
    is_working_day,
    working_seconds_between,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
DAY = 24 * HOUR
NONE: set[date] = set()


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def test_weekdays_count_and_weekends_do_not():
    monday_10 = warsaw(2025, 3, 3, 10, 0)
    assert add_working_days(monday_10, 0, NONE, WARSAW) == monday_10.astimezone(UTC)
    assert add_working_days(monday_10, 2, NONE, WARSAW) == warsaw(2025, 3, 5, 10, 0)
    assert add_working_days(monday_10, 5, NONE, WARSAW) == warsaw(2025, 3, 10, 10, 0)
    assert add_working_days(monday_10, 10, NONE, WARSAW) == warsaw(2025, 3, 17, 10, 0)


def test_results_are_utc():
    due = add_working_days(warsaw(2025, 3, 3, 10, 0), 1, NONE, "Europe/Warsaw")
    assert due.utcoffset().total_seconds() == 0
    assert due == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def test_friday_evening_receipt_is_due_the_next_working_day_at_the_same_time():
    friday_evening = warsaw(2025, 3, 7, 18, 30)
    assert add_working_days(friday_evening, 1, NONE, WARSAW) == warsaw(2025, 3, 10, 18, 30)
    assert add_working_days(friday_evening, 2, NONE, WARSAW) == warsaw(2025, 3, 11, 18, 30)
    # Only Friday's evening and Monday until 18:30 count: one working day's worth.
    assert working_seconds_between(friday_evening, warsaw(2025, 3, 10, 18, 30), NONE, WARSAW) == DAY


def test_a_receipt_on_the_weekend_starts_the_clock_on_monday_morning():
    saturday = warsaw(2025, 3, 8, 10, 0)
    assert add_working_days(saturday, 1, NONE, WARSAW) == warsaw(2025, 3, 11, 0, 0)
    assert add_working_days(saturday, 2, NONE, WARSAW) == warsaw(2025, 3, 12, 0, 0)
    assert working_seconds_between(saturday, warsaw(2025, 3, 10, 0, 0), NONE, WARSAW) == 0


def test_holidays_are_skipped():
    christmas = {date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 26)}
    monday = warsaw(2024, 12, 23, 9, 0)
    assert add_working_days(monday, 1, christmas, WARSAW) == warsaw(2024, 12, 27, 9, 0)
    assert add_working_days(monday, 2, christmas, WARSAW) == warsaw(2024, 12, 30, 9, 0)
    # A receipt on a holiday starts the clock at the next working day's start.
    assert add_working_days(warsaw(2024, 12, 25, 14, 0), 1, christmas, WARSAW) == warsaw(2024, 12, 30, 0, 0)
    assert not is_working_day(date(2024, 12, 25), christmas)
    assert working_seconds_between(monday, warsaw(2024, 12, 27, 9, 0), christmas, WARSAW) == DAY


def test_spring_daylight_saving_change_keeps_the_local_time():
    # Warsaw moves from +01:00 to +02:00 on Sunday 30 March 2025.
    friday = warsaw(2025, 3, 28, 9, 0)
    due = add_working_days(friday, 1, NONE, WARSAW)
    assert due == warsaw(2025, 3, 31, 9, 0)
    assert due == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)  # one hour less in UTC than the day before
    assert friday.astimezone(UTC).hour == 8


def test_autumn_daylight_saving_change_keeps_the_local_time():
    # New York moves from -04:00 to -05:00 on Sunday 2 November 2025.
    friday = datetime(2025, 10, 31, 9, 0, tzinfo=NEW_YORK)
    due = add_working_days(friday, 1, NONE, NEW_YORK)
    assert due == datetime(2025, 11, 3, 9, 0, tzinfo=NEW_YORK)
    assert (due - friday.astimezone(UTC)).total_seconds() == 3 * DAY + HOUR  # the weekend had 49 hours
    assert working_seconds_between(friday, due, NONE, NEW_YORK) == DAY


CAIRO = ZoneInfo("Africa/Cairo")  # moved its clocks on a working day: Friday 28 April 2023, 00:00 -> 01:00


def test_a_working_day_with_a_clock_change_has_23_hours():
    friday = date(2023, 4, 28)
    start = datetime(2023, 4, 28, 0, 0, tzinfo=CAIRO)
    end = datetime(2023, 4, 29, 0, 0, tzinfo=CAIRO)
    assert is_working_day(friday, NONE)
    assert working_seconds_between(start, end, NONE, CAIRO) == 23 * HOUR


def test_a_due_time_in_the_clock_change_gap_moves_forward_by_the_gap():
    thursday = datetime(2023, 4, 27, 0, 30, tzinfo=CAIRO)  # 00:30 does not exist on Friday
    due = add_working_days(thursday, 1, NONE, CAIRO)
    assert due.astimezone(CAIRO).replace(tzinfo=None) == datetime(2023, 4, 28, 1, 30)
    assert working_seconds_between(thursday, due, NONE, CAIRO) == DAY


def test_a_moment_given_in_another_zone_is_counted_in_the_depots_zone():
    # Friday 20:00 in New York is already Saturday 02:00 in Warsaw: not a working day there.
    friday_evening_ny = datetime(2025, 3, 14, 20, 0, tzinfo=NEW_YORK)
    assert friday_evening_ny.astimezone(WARSAW).date() == date(2025, 3, 15)
    due = add_working_days(friday_evening_ny, 1, NONE, WARSAW)
    assert due == warsaw(2025, 3, 18, 0, 0)
    # The same moment counted in New York's zone would be a Friday receipt.
    assert add_working_days(friday_evening_ny, 1, NONE, NEW_YORK) == datetime(2025, 3, 17, 20, 0, tzinfo=NEW_YORK)
    # The deadline is one instant; a viewer in New York reads it in their zone.
    assert due.astimezone(NEW_YORK) == datetime(2025, 3, 17, 19, 0, tzinfo=NEW_YORK)


def test_working_seconds_skip_weekends_and_holidays():
    thursday = warsaw(2025, 3, 6, 12, 0)
    tuesday = warsaw(2025, 3, 11, 12, 0)
    assert working_seconds_between(thursday, tuesday, NONE, WARSAW) == 3 * DAY
    assert working_seconds_between(thursday, tuesday, {date(2025, 3, 10)}, WARSAW) == 2 * DAY
    assert working_seconds_between(tuesday, thursday, NONE, WARSAW) == 0


def test_add_working_seconds_moves_over_weekends():
    friday_evening = warsaw(2025, 3, 7, 20, 0)
    assert add_working_seconds(friday_evening, 6 * HOUR, NONE, WARSAW) == warsaw(2025, 3, 10, 2, 0)
    assert add_working_seconds(friday_evening, 0, NONE, WARSAW) == friday_evening
    saturday = warsaw(2025, 3, 8, 12, 0)
    assert add_working_seconds(saturday, HOUR, NONE, WARSAW) == warsaw(2025, 3, 10, 1, 0)


def test_add_working_seconds_is_the_inverse_of_working_seconds_between():
    start = warsaw(2025, 3, 27, 15, 0)  # across the spring change and a weekend
    for seconds in (HOUR, DAY, 2.5 * DAY, 7 * DAY):
        end = add_working_seconds(start, seconds, NONE, WARSAW)
        assert working_seconds_between(start, end, NONE, WARSAW) == seconds


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime(2025, 3, 3, 10, 0), 1, NONE, WARSAW)


def test_holidays_are_loaded_from_the_database(app):
    from portal.extensions import db
    from portal.models.sla import Holiday

    db.session.add_all([Holiday(day=date(2025, 5, 1), name="Labour Day"), Holiday(day=date(2025, 5, 3))])
    db.session.flush()
    assert holidays() == {date(2025, 5, 1), date(2025, 5, 3)}
