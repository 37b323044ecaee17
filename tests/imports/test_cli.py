"""`flask import check FILE [--company ID] [--json]`: what the preview would show, and an exit code."""

from __future__ import annotations

import json

import pytest

from tests.conftest import device_row
from tests.imports.conftest import compound_file


def check(runner, *args):
    return runner.invoke(args=["import", "check", *map(str, args)])


def test_a_good_file_exits_0_and_shows_the_mapping_and_warnings(runner, samples):
    result = check(runner, samples / "devices_messy.xlsx")

    assert result.exit_code == 0, result.output
    assert "sheet “Lista”, header in row 3" in result.output
    assert "Internal note" in result.output and "G3" in result.output
    assert "C7" in result.output and "A21" in result.output
    assert "16 can be imported" in result.output and "Traceback" not in result.output


def test_a_faulty_file_exits_1_with_each_error_by_cell(runner, samples):
    result = check(runner, samples / "devices_with_errors.xlsx")

    assert result.exit_code == 1, result.output
    for cell in ("C2", "C4", "D5", "E5", "F5", "B7", "F7"):
        assert f"  {cell} " in result.output


def test_json_output_parses(runner, samples):
    result = check(runner, samples / "devices_with_errors.xlsx", "--json")

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["refused"], report["kind"], report["header_row"], report["rows"]) == (False, "xlsx", 1, 5)
    assert (report["importable"], report["errors"], report["warnings"]) == (1, 7, 0)
    assert {p["cell"] for p in report["problems"]} == {"C2", "C4", "D5", "E5", "F5", "B7", "F7"}
    assert report["columns"][0] == {"letter": "A", "header": "Manufacturer", "field": "manufacturer",
                                    "recognised": True}


def test_a_good_csv_as_json_exits_0(runner, samples):
    result = check(runner, samples / "devices_pl_excel.csv", "--json")

    assert result.exit_code == 0
    report = json.loads(result.output)
    assert (report["encoding"], report["delimiter"], report["importable"]) == ("cp1250", ";", 30)


@pytest.mark.parametrize("as_json", [False, True])
def test_a_refused_file_exits_2_with_its_message(runner, tmp_path, as_json):
    path = tmp_path / "old.xls"
    path.write_bytes(compound_file(["Workbook"]))

    result = check(runner, path, *(["--json"] if as_json else []))

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    if as_json:
        report = json.loads(result.stdout)
        assert (report["refused"], report["code"]) == (True, "xls")
        assert "Save As" in report["message"]
    else:
        assert "Refused:" in result.output and ".xlsx" in result.output


def test_a_missing_file_and_an_unknown_company_exit_2(runner, samples, tmp_path):
    assert check(runner, tmp_path / "nothing.csv").exit_code == 2
    result = check(runner, samples / "devices_ru.xlsx", "--company", 999)
    assert result.exit_code == 2 and "no company with id 999" in result.output


@pytest.mark.both_databases
def test_with_a_company_serials_in_its_open_orders_are_errors(runner, tmp_path, make_company, make_order):
    user = make_company()
    order = make_order(user, rows=[device_row(1, serial_number="ZE11112222")])
    path = tmp_path / "devices.csv"
    path.write_text("Make;Model;Serial;Fault\nZebra;TC52;ZE11112222;Glass\nZebra;TC52;ZE3;Glass\n")

    result = check(runner, path, "--company", user.company_id, "--json")

    assert result.exit_code == 1, result.output
    [problem] = json.loads(result.output)["problems"]
    assert (problem["cell"], problem["code"]) == ("C2", "in_open_order")
    assert order.number in problem["message"]
    assert check(runner, path).exit_code == 0  # without a company, no order to clash with
