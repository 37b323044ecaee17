"""The logistics document and device tags: every barcode printed decodes back to the order's codes."""

import subprocess
from pathlib import Path

import pytest

from portal import documents, orders
from portal.extensions import db
from tests.barcodes import decode_barcodes
from tests.conftest import device_row


def page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_logistics_document_barcodes_decode_to_the_order_box_and_device_codes(make_company, make_order, tmp_path):
    owner = make_company()
    order = make_order(owner, devices=3, boxes=2)
    codes = decode_barcodes(documents.logistics_pdf(order), tmp_path)
    expected = {order.number, f"{order.number}-B1", f"{order.number}-B2", *(d.tag_code for d in order.devices)}
    assert sorted(codes) == sorted(expected)


@pytest.mark.parametrize("layout", ["62mm", "a4"])
def test_device_tags_decode_one_per_device(make_company, make_order, tmp_path, layout):
    order = make_order(make_company(), devices=5)
    codes = decode_barcodes(documents.device_tags_pdf(order, layout), tmp_path)
    assert sorted(codes) == sorted(d.tag_code for d in order.devices)


def test_a_long_order_paginates_with_every_device_on_some_page(make_company, make_order, tmp_path):
    order = make_order(make_company(), devices=40)
    pdf = documents.logistics_pdf(order)
    assert page_count(pdf, tmp_path) == 3 + 1  # 40 rows over three list pages, then the box label
    codes = decode_barcodes(pdf, tmp_path)
    assert set(d.tag_code for d in order.devices) <= set(codes)


def test_polish_and_cyrillic_text_prints_with_the_bundled_font(make_company, make_order, tmp_path):
    owner = make_company(legal_name="Zakład Łączności „Żółw” / ООО «Ромашка»")
    order = orders.start_draft(owner.company, owner=owner, actor=owner)
    from tests.conftest import order_data

    orders.submit_order(order, order_data(order, [device_row(1, model="Сканер ŁÓDŹ-2")]), actor=owner)
    db.session.commit()
    pdf_file = tmp_path / "doc.pdf"
    pdf_file.write_bytes(documents.logistics_pdf(order))
    text = subprocess.run(["pdftotext", str(pdf_file), "-"], capture_output=True, text=True, check=True).stdout
    assert "Zakład Łączności „Żółw” / ООО «Ромашка»" in text
    assert "Сканер ŁÓDŹ-2" in text
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True, check=True).stdout
    assert "DejaVuSans" in fonts and "yes" in fonts  # embedded


def test_the_orders_custom_fields_print_under_its_details(make_company, make_order, tmp_path):
    from portal.models import CustomFieldKind, CustomFieldTarget
    from tests.test_custom_fields import add_field

    cost_centre = add_field(CustomFieldTarget.ORDER, "Cost centre", CustomFieldKind.TEXT)
    lease = add_field(CustomFieldTarget.ORDER, "Lease ends", CustomFieldKind.DATE)
    order = make_order(make_company(), devices=1)
    order.custom_values = {str(cost_centre.id): "CC-4711", str(lease.id): "2027-03-31"}
    db.session.commit()
    pdf_file = tmp_path / "doc.pdf"
    pdf_file.write_bytes(documents.logistics_pdf(order))
    text = subprocess.run(["pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Cost centre: CC-4711" in text and "Lease ends: Mar 31, 2027" in text
