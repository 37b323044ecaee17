"""One row's rules, as the preview re-checks a row after the user fixed a cell in the browser."""

from __future__ import annotations

from datetime import date

import pytest

from portal.imports import validate_row
from portal.imports.rows import parse_date, parse_yes_no

COLUMNS = {"manufacturer": "A", "model": "B", "serial_number": "C", "fault_description": "D",
           "warranty_claimed": "E", "purchase_date": "F", "category_id": "G", "box_number": "H",
           "asset_tag": "I", "accessories": "J", "data_wipe_allowed": "K"}


def good(**changes) -> dict[str, str]:
    values = {"manufacturer": "Zebra", "model": "TC52", "serial_number": "ZE0001", "fault_description": "Cracked",
              "warranty_claimed": "", "purchase_date": ""}
    return {**values, **changes}


def problems(row) -> set[tuple[str, str]]:
    return {(p.column, p.code) for p in row.problems}


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-31", date(2024, 3, 31)), ("31.03.2024", date(2024, 3, 31)), ("31/03/2024", date(2024, 3, 31)),
    ("31-03-2024", date(2024, 3, 31)), ("1.2.2024", date(2024, 2, 1)), ("01.02.24", date(2024, 2, 1)),
    ("2024/03/31", date(2024, 3, 31)), ("2024-03-31 00:00:00", date(2024, 3, 31)), ("31.03.2024.", date(2024, 3, 31)),
    ("45382", date(2024, 3, 31)), ("2024-03-31T10:15:00Z", date(2024, 3, 31)),
    ("2024-13-45", None), ("31.02.2024", None), ("03/31/2024", None), ("yesterday", None), ("2024", None),
    ("12", None), ("", None),
])
def test_dates_iso_day_first_and_excel_serials(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("word", ["yes", "YES", "Y", "true", "1", "tak", "Tak", "да", "ДА", "ja", "иә", "ya",
                                  "Iya", " yes. "])
def test_yes_words(word):
    assert parse_yes_no(word) is True


@pytest.mark.parametrize("word", ["no", "No", "N", "false", "0", "nie", "нет", "Нет", "nein", "жоқ", "tidak", ""])
def test_no_words_and_blank(word):
    assert parse_yes_no(word) is False


@pytest.mark.parametrize("word", ["maybe", "?", "si", "yes please"])
def test_other_words_are_neither(word):
    assert parse_yes_no(word) is None


def test_a_good_row_is_typed_for_the_order(context):
    row = validate_row(good(warranty_claimed="tak", purchase_date="31.03.2024", category_id="LAPTOP",
                            box_number="3", asset_tag=" NL-1 ", data_wipe_allowed="yes"), 7, COLUMNS, context())

    assert row.is_importable and row.problems == []
    assert row.cleaned == {
        "category_id": 1, "manufacturer": "Zebra", "model": "TC52", "serial_number": "ZE0001", "asset_tag": "NL-1",
        "fault_description": "Cracked", "warranty_claimed": True, "purchase_date": date(2024, 3, 31),
        "accessories": "", "box_number": 3, "data_wipe_allowed": True}
    assert row.values["asset_tag"] == "NL-1"


def test_validate_row_after_a_fix_clears_the_problem(context):
    broken = validate_row(good(serial_number="", purchase_date="2024-13-45"), 5, COLUMNS, context())
    assert problems(broken) == {("C", "missing"), ("F", "not_a_date")}
    assert not broken.is_importable

    fixed = validate_row({**broken.values, "serial_number": "ZE0002 ", "purchase_date": "13.12.2024"}, 5, COLUMNS,
                         context())

    assert fixed.is_importable and fixed.problems == []
    assert fixed.values["serial_number"] == "ZE0002" and fixed.cleaned["purchase_date"] == date(2024, 12, 13)


def test_required_fields_each_named_in_their_column(context):
    row = validate_row({"manufacturer": " ", "model": "", "serial_number": "", "fault_description": ""}, 2, COLUMNS,
                       context())

    assert problems(row) == {("A", "missing"), ("B", "missing"), ("C", "missing"), ("D", "missing")}
    assert all(p.level == "error" and p.row == 2 for p in row.problems)


def test_a_field_without_a_column_is_named_without_a_letter(context):
    row = validate_row({"manufacturer": "Zebra", "serial_number": "X1", "fault_description": "Bad"}, 4,
                       {"manufacturer": "A", "serial_number": "B", "fault_description": "C"}, context())

    [problem] = row.problems
    assert (problem.column, problem.field, problem.cell) == ("", "model", "4")


@pytest.mark.parametrize(("field", "limit"), [("manufacturer", 100), ("model", 100), ("serial_number", 100),
                                               ("asset_tag", 100), ("fault_description", 2000), ("accessories", 500)])
def test_text_over_the_order_forms_limit(context, field, limit):
    assert validate_row(good(**{field: "x" * limit}), 2, COLUMNS, context()).is_importable

    row = validate_row(good(**{field: "x" * (limit + 1)}), 2, COLUMNS, context())

    [problem] = row.problems
    assert (problem.column, problem.code) == (COLUMNS[field], "too_long")
    assert str(limit) in problem.message and str(limit + 1) in problem.message


def test_warranty_needs_a_purchase_date_not_in_the_future(context):
    assert problems(validate_row(good(warranty_claimed="yes"), 2, COLUMNS, context())) == {
        ("F", "date_for_warranty")}
    assert problems(validate_row(good(purchase_date="2026-06-02"), 2, COLUMNS, context())) == {("F", "future_date")}
    assert validate_row(good(warranty_claimed="yes", purchase_date="2026-06-01"), 2, COLUMNS, context()).is_importable


def test_an_unknown_category_is_a_warning_and_left_empty(context):
    row = validate_row(good(category_id="Spaceship"), 2, COLUMNS, context())

    [problem] = row.problems
    assert (problem.column, problem.level, problem.code) == ("G", "warning", "unknown_category")
    assert row.is_importable and row.cleaned["category_id"] is None


@pytest.mark.parametrize(("text", "box"), [("1", 1), ("500", 500), ("12.0", 12)])
def test_box_numbers(context, text, box):
    assert validate_row(good(box_number=text), 2, COLUMNS, context()).cleaned["box_number"] == box


@pytest.mark.parametrize("text", ["0", "501", "box 1", "1.5", "-2"])
def test_box_number_must_be_a_whole_number_from_1_to_500(context, text):
    assert problems(validate_row(good(box_number=text), 2, COLUMNS, context())) == {("H", "not_a_box")}


def test_a_serial_in_an_open_order_names_the_order(context):
    row = validate_row(good(serial_number="ze0001"), 9, COLUMNS, context(existing_serials={"ZE0001": "RO0000042"}))

    [problem] = row.problems
    assert (problem.cell, problem.code, problem.value) == ("C9", "in_open_order", "ze0001")
    assert "RO0000042" in problem.message


def test_not_yes_or_no_in_either_yes_no_column(context):
    row = validate_row(good(warranty_claimed="perhaps", data_wipe_allowed="sure"), 2, COLUMNS, context())

    assert problems(row) == {("E", "not_yes_no"), ("K", "not_yes_no")}
