"""The office manager downloads the template, imports a file with a mistake, fixes the cell in the
preview, confirms, submits the order and sees the devices on it."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import confirmed_customer

pytestmark = pytest.mark.e2e

PASSWORD = "import-journey-password-3"


@pytest.fixture
def customer(live_server):
    with live_server.app.app_context():
        confirmed_customer(live_server.app, email="iza@import.example", password=PASSWORD,
                           legal_name="Import Test Sp. z o.o.", tax_id="PL5550001112")
    return "iza@import.example"


def spreadsheet_with_a_missing_serial(path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Manufacturer", "Model", "Serial number", "Fault description"])
    sheet.append(["Zebra", "TC52", "IMP-0001", "Cracked screen"])
    sheet.append(["Honeywell", "CT60", None, "Does not charge"])
    sheet.append(["Dell", "Latitude 5430", "IMP-0003", "Keyboard"])
    workbook.save(path)


def test_template_import_fix_confirm_and_submit(page, live_server, customer, tmp_path):
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(customer)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/orders")
    page.get_by_role("button", name="New order").click()
    page.get_by_role("link", name="Import devices from a spreadsheet").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template (.xlsx)").click()
    template = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert "Serial number" in [cell.value for cell in template.worksheets[0][1]]

    upload = tmp_path / "our-devices.xlsx"
    spreadsheet_with_a_missing_serial(upload)
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("button", name="Add 2 devices to the order")).to_be_visible()

    page.get_by_label("Row 3, Serial number").fill("IMP-0002")
    page.locator("#row-3").get_by_role("button", name="Save the fix").click()
    expect(page.get_by_role("button", name="Add 3 devices to the order")).to_be_visible()
    page.get_by_role("button", name="Add 3 devices to the order").click()

    expect(page.locator(".flash").get_by_text("3 devices imported into the order.")).to_be_visible()
    page.get_by_role("button", name="Submit the order").click()
    expect(page.get_by_role("status")).to_contain_text("is submitted")
    for serial in ("IMP-0001", "IMP-0002", "IMP-0003"):
        expect(page.get_by_role("cell", name=serial)).to_be_visible()
