"""core.periods: every period name into (name, first day, inclusive as-of day), by hand."""

import pandas as pd
import pytest

from crm_lab.core.periods import RELATIVE, Period, resolve_period

TODAY = "2026-01-15"  # a Thursday


def _dates(p: Period):
    return p.name, p.start.date().isoformat(), p.as_of.date().isoformat(), p.days


@pytest.mark.parametrize(
    ("spec", "today", "expected"),
    [
        ("last-month", TODAY, ("2025-12", "2025-12-01", "2025-12-31", 31)),
        ("last-month", "2024-03-10", ("2024-02", "2024-02-01", "2024-02-29", 29)),  # leap year
        ("last-month", "2026-03-01", ("2026-02", "2026-02-01", "2026-02-28", 28)),  # on the 1st
        # this month up to yesterday; on the 1st, yesterday is last month's last day
        ("this-month", TODAY, ("2026-01", "2026-01-01", "2026-01-14", 14)),
        ("this-month", "2026-01-01", ("2025-12", "2025-12-01", "2025-12-31", 31)),
        ("last-quarter", TODAY, ("2025-Q4", "2025-10-01", "2025-12-31", 92)),
        ("last-quarter", "2026-03-31", ("2025-Q4", "2025-10-01", "2025-12-31", 92)),
        ("last-quarter", "2026-04-01", ("2026-Q1", "2026-01-01", "2026-03-31", 90)),
        # Monday to Sunday before the week of today, named by ISO week
        ("last-week", TODAY, ("2026-W02", "2026-01-05", "2026-01-11", 7)),
        ("last-week", "2026-01-12", ("2026-W02", "2026-01-05", "2026-01-11", 7)),  # a Monday
        ("last-week", "2026-01-11", ("2026-W01", "2025-12-29", "2026-01-04", 7)),  # a Sunday
        ("last-year", TODAY, ("2025", "2025-01-01", "2025-12-31", 365)),
        ("last-year", "2025-06-30", ("2024", "2024-01-01", "2024-12-31", 366)),
    ],
)
def test_relative_periods_count_from_today(spec, today, expected):
    assert _dates(resolve_period(spec, today=today)) == expected
    # a time of day on today changes nothing
    assert _dates(resolve_period(spec, today=f"{today} 23:59")) == expected


def test_every_relative_name_is_covered():
    assert set(RELATIVE) == {"last-month", "this-month", "last-quarter", "last-week", "last-year"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2025-12", ("2025-12", "2025-12-01", "2025-12-31", 31)),
        ("2025-02", ("2025-02", "2025-02-01", "2025-02-28", 28)),
        ("2024-02", ("2024-02", "2024-02-01", "2024-02-29", 29)),
        ("2025-Q1", ("2025-Q1", "2025-01-01", "2025-03-31", 90)),
        ("2025-Q2", ("2025-Q2", "2025-04-01", "2025-06-30", 91)),
        ("2025Q3", ("2025-Q3", "2025-07-01", "2025-09-30", 92)),  # named the one way
        ("2025-Q4", ("2025-Q4", "2025-10-01", "2025-12-31", 92)),
        ("2025", ("2025", "2025-01-01", "2025-12-31", 365)),
        ("2024", ("2024", "2024-01-01", "2024-12-31", 366)),
    ],
)
def test_explicit_periods_do_not_depend_on_today(spec, expected):
    assert _dates(resolve_period(spec, today=TODAY)) == expected
    assert _dates(resolve_period(spec, today="1999-07-01")) == expected


def test_an_as_of_inside_the_period_is_its_cut_off():
    assert _dates(resolve_period("2025-12", as_of="2025-12-15")) == (
        "2025-12",
        "2025-12-01",
        "2025-12-15",
        15,
    )
    # the day is what counts: a time of day is dropped; first and last day are inside
    assert resolve_period("2025-12", as_of="2025-12-15 18:30").as_of == pd.Timestamp("2025-12-15")
    assert resolve_period("2025-12", as_of="2025-12-01").days == 1
    assert resolve_period("2025-12", as_of="2025-12-31").days == 31
    assert _dates(resolve_period("last-quarter", as_of="2025-11-30", today=TODAY)) == (
        "2025-Q4",
        "2025-10-01",
        "2025-11-30",
        61,
    )


@pytest.mark.parametrize(
    ("spec", "as_of", "today"),
    [
        ("2025-12", "2026-01-01", None),  # the day after
        ("2025-12", "2025-11-30", None),  # the day before
        ("2025-Q4", "2025-09-30", None),
        ("last-month", "2026-01-15", TODAY),  # today is in this month, not last month
        ("last-week", "2026-01-12", TODAY),
    ],
)
def test_an_as_of_outside_the_period_is_an_error(spec, as_of, today):
    with pytest.raises(ValueError, match=rf"as_of {as_of} is outside period"):
        resolve_period(spec, as_of=as_of, today=today)


def test_an_as_of_alone_names_its_month():
    assert _dates(resolve_period(as_of="2025-12-15")) == ("2025-12", "2025-12-01", "2025-12-15", 15)
    assert _dates(resolve_period("", as_of="2011-12-09")) == (
        "2011-12",
        "2011-12-01",
        "2011-12-09",
        9,
    )
    # free text is the folder name; the period is the as-of month up to the as-of day
    assert _dates(resolve_period("spring-sale", as_of="2025-03-20")) == (
        "spring-sale",
        "2025-03-01",
        "2025-03-20",
        20,
    )


@pytest.mark.parametrize("spec", ["spring-sale", "2025-Q5", "25-12", "last month"])
def test_a_name_that_is_no_period_needs_an_as_of(spec):
    with pytest.raises(ValueError, match=r"is not one of .* as-of day: give --as-of YYYY-MM-DD"):
        resolve_period(spec, today=TODAY)


@pytest.mark.parametrize("spec", [None, ""])
def test_no_period_and_no_as_of_is_one_clear_error(spec):
    with pytest.raises(ValueError, match=r"^no period and no as_of: give a period \(last-month"):
        resolve_period(spec, today=TODAY)


def test_an_as_of_period_is_its_last_day():
    # pd.Period("2025-12") is December: its last day, inside the period or naming its month
    assert resolve_period("2025-12", as_of=pd.Period("2025-12")).as_of == pd.Timestamp("2025-12-31")
    assert _dates(resolve_period(as_of=pd.Period("2024-02"))) == (
        "2024-02",
        "2024-02-01",
        "2024-02-29",
        29,
    )
    with pytest.raises(ValueError, match="as_of 2025-11-30 is outside period 2025-12"):
        resolve_period("2025-12", as_of=pd.Period("2025-11"))


@pytest.mark.parametrize("as_of", ["01/02/2025", "2025-12", 20251215])
def test_an_as_of_that_names_no_day_is_an_error(as_of):
    with pytest.raises(ValueError, match=r"as_of must be a day: an ISO date YYYY-MM-DD"):
        resolve_period("2025-12", as_of=as_of)


@pytest.mark.parametrize("spec", ["2025-13", "2025-00"])
def test_a_month_out_of_range_is_an_error(spec):
    with pytest.raises(ValueError, match=rf"period '{spec}': the month must be 01 to 12"):
        resolve_period(spec)
    with pytest.raises(ValueError, match="the month must be 01 to 12"):
        resolve_period(spec, as_of="2025-12-31")


def test_today_defaults_to_the_current_date():
    year = pd.Timestamp.now().year
    assert resolve_period("last-year").name == str(year - 1)


def test_a_period_is_a_frozen_value():
    p = resolve_period("2025-12")
    assert p == Period("2025-12", pd.Timestamp("2025-12-01"), pd.Timestamp("2025-12-31"))
    with pytest.raises(AttributeError):
        p.name = "other"  # type: ignore[misc]
