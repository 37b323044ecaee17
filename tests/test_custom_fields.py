"""The admins' custom fields: how values are read, the rules for the fields, the import's columns."""

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from portal import custom_fields, imports
from portal.errors import DomainError
from portal.extensions import db
from portal.imports.templates import build_template
from portal.models import CustomFieldKind, CustomFieldTarget

ORDER, DEVICE = CustomFieldTarget.ORDER, CustomFieldTarget.DEVICE


def add_field(target, label, kind, choices="", required=False):
    field = custom_fields.save_field(None, target=target, label=label, kind=kind, choices=choices, help_text="",
                                     is_required=required, is_active=True)
    db.session.commit()
    return field


@pytest.fixture
def device_fields(app):
    return {
        "site": add_field(DEVICE, "Site", CustomFieldKind.CHOICE, "Warsaw\nKraków\nGdańsk", required=True),
        "lease": add_field(DEVICE, "Lease end", CustomFieldKind.DATE),
        "value": add_field(DEVICE, "Book value", CustomFieldKind.NUMBER),
    }


def spec(kind, options=(), required=False):
    return custom_fields.Spec(1, "Field", kind, tuple(options), required)


@pytest.mark.parametrize(("kind", "typed", "kept"), [
    (CustomFieldKind.NUMBER, "1 250,50", "1250.50"),
    (CustomFieldKind.NUMBER, "12.5", "12.5"),
    (CustomFieldKind.NUMBER, "-3", "-3"),
    (CustomFieldKind.DATE, "31.03.2027", "2027-03-31"),
    (CustomFieldKind.DATE, "2027-03-31", "2027-03-31"),
    (CustomFieldKind.TEXT, "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"),
])
def test_values_are_kept_in_one_plain_form(app, kind, typed, kept):
    assert custom_fields.read(spec(kind), typed) == kept


def test_a_choice_matches_whatever_the_case_and_keeps_the_option_as_written(app):
    assert custom_fields.read(spec(CustomFieldKind.CHOICE, ["Kraków", "Gdańsk"]), "KRAKÓW") == "Kraków"


@pytest.mark.parametrize(("kind", "typed", "message"), [
    (CustomFieldKind.NUMBER, "twelve", "Not a number"),
    (CustomFieldKind.NUMBER, "NaN", "Not a number"),
    (CustomFieldKind.NUMBER, "1" * 20, "Not a number"),
    (CustomFieldKind.DATE, "31.02.2027", "Not a date"),
    (CustomFieldKind.CHOICE, "Paris", "Not one of the choices: Kraków, Gdańsk."),
    (CustomFieldKind.TEXT, "x" * 201, "Too long: 201 characters, at most 200."),
])
def test_a_value_that_does_not_fit_says_why(app, kind, typed, message):
    with pytest.raises(custom_fields.Invalid) as refused:
        custom_fields.read(spec(kind, ["Kraków", "Gdańsk"]), typed)
    assert message in refused.value.message


def test_a_required_field_left_empty_is_named(app):
    values, problems = custom_fields.read_all([spec(CustomFieldKind.TEXT, required=True)], {"cf_1": "  "})
    assert values == {} and problems == {"cf_1": "Fill in this field."}


def test_values_of_fields_out_of_use_stay_when_the_form_saves(app):
    in_use = [spec(CustomFieldKind.TEXT)]
    kept = {"1": "old", "9": "from a field out of use"}
    assert custom_fields.merged(kept, {}, in_use) == {"9": "from a field out of use"}
    assert custom_fields.merged(kept, {"1": "new"}, in_use) == {"1": "new", "9": "from a field out of use"}


def test_labels_are_unique_and_never_one_of_the_device_lists_own_columns(app, device_fields):
    with pytest.raises(DomainError, match="already called"):
        add_field(DEVICE, "site", CustomFieldKind.TEXT)
    with pytest.raises(DomainError, match="own columns"):
        add_field(DEVICE, "Serial number", CustomFieldKind.TEXT)
    with pytest.raises(DomainError, match="one per line"):
        add_field(ORDER, "Region", CustomFieldKind.CHOICE, "  \n ")
    with pytest.raises(DomainError, match="written twice"):
        add_field(ORDER, "Region", CustomFieldKind.CHOICE, "North\nnorth")
    db.session.rollback()
    assert add_field(ORDER, "Site", CustomFieldKind.TEXT).id  # an order's field may share a device's label


def test_the_kind_of_a_field_never_changes(app, device_fields):
    field = device_fields["lease"]
    custom_fields.save_field(field, target=ORDER, label="Lease ends", kind=CustomFieldKind.TEXT, choices="",
                             help_text="", is_required=False, is_active=True)
    assert (field.target, field.kind, field.label) == (DEVICE, CustomFieldKind.DATE, "Lease ends")


def test_the_import_template_has_a_column_per_field_with_its_list_and_explanation(app, device_fields):
    book = load_workbook(io.BytesIO(build_template("en")))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[-3:] == ["Site", "Lease end", "Book value"]
    site_letter = sheet.cell(row=1, column=len(headers) - 2).column_letter
    rules = {str(rule.sqref).split(":")[0]: rule for rule in sheet.data_validations.dataValidation}
    site_rule = rules[f"{site_letter}2"]
    lists = book["Lists"]
    column = site_rule.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    assert [lists[f"{column}{row}"].value for row in (1, 2, 3)] == ["Warsaw", "Kraków", "Gdańsk"]
    help_rows = {row[0]: row for row in book.worksheets[1].iter_rows(min_row=6, values_only=True)}
    assert help_rows["Site"][1] == "required" and "Warsaw, Kraków, Gdańsk" in help_rows["Site"][2]
    assert "2024-03-31" in help_rows["Lease end"][2]


def sheet_bytes(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_import_reads_the_custom_columns_and_names_each_bad_cell(app, device_fields, make_company):
    owner = make_company()
    content = sheet_bytes([
        ["Manufacturer", "Model", "Serial number", "Fault description", "Site", "Lease end", "Book value"],
        ["Zebra", "TC52", "S-1", "Broken", "krakÓw", date(2027, 6, 30), 1250.5],
        ["Zebra", "TC52", "S-2", "Broken", "Paris", "someday", "lots"],
        ["Zebra", "TC52", "S-3", "Broken", "", "", ""],
    ])
    result = imports.read_file(content, "devices.xlsx", context=imports.context_for(owner.company))
    assert {c.header: c.field for c in result.columns if c.field}["Site"] == device_fields["site"].key
    first, second, third = result.rows
    ids = {name: str(field.id) for name, field in device_fields.items()}
    assert first.is_importable
    assert first.cleaned["custom"] == {ids["site"]: "Kraków", ids["lease"]: "2027-06-30", ids["value"]: "1250.5"}
    assert {(p.cell, p.message.split(":")[0]) for p in second.problems} == {
        ("E3", "Not one of the choices"), ("F3", "Not a date"), ("G3", "Not a number")}
    assert [(p.cell, p.message) for p in third.problems] == [("E4", "Site is missing.")]


def test_a_required_field_without_a_column_is_missing_on_every_row(app, device_fields, make_company):
    content = sheet_bytes([["Manufacturer", "Model", "Serial number", "Fault description"],
                           ["Zebra", "TC52", "S-1", "Broken"]])
    result = imports.read_file(content, "devices.xlsx", context=imports.context_for(make_company().company))
    assert [(p.cell, p.message) for p in result.rows[0].problems] == [("2", "Site is missing.")]
