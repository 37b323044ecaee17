"""Importing a spreadsheet into an order in the browser: upload, preview, fix, drop, map, confirm."""

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import ColumnMapping, DeviceStatus, ImportBatch, ImportState, OrderState

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


def sample(name: str) -> bytes:
    path = SAMPLES / name
    assert path.exists(), f"The customers' sample files belong in {SAMPLES} (shared/ beside the repository)"
    return path.read_bytes()


def upload(client, order, name, content=None):
    data = {"file": (io.BytesIO(content if content is not None else sample(name)), name)}
    return client.post(f"/orders/{order.id}/import", data=data, content_type="multipart/form-data")


def new_draft(client):
    response = client.post("/orders/new")
    return int(response.headers["Location"].split("/")[-2])


def test_errors_are_fixed_and_dropped_in_the_browser_then_the_draft_is_submitted(client, login, make_company):
    from portal.models import Order

    owner = make_company()
    login(owner)
    order = db.session.get(Order, new_draft(client))
    response = upload(client, order, "devices_with_errors.xlsx")
    assert response.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "devices_with_errors.xlsx" in page and "already in row 3" in page
    assert "Add 1 device to the order" in page

    # Row 2 lacks its serial: type it in. Rows 4, 5 and 7 are dropped.
    client.post(f"/imports/{batch.id}/rows/2", data={"action": "fix", "value-serial_number": "ZE99990001"})
    for row in (4, 5, 7):
        client.post(f"/imports/{batch.id}/rows/{row}", data={"action": "drop"})
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Add 2 devices to the order" in page
    response = client.post(f"/imports/{batch.id}/confirm")
    assert response.status_code == 302
    db.session.refresh(batch)
    assert batch.state == ImportState.CONFIRMED
    assert order.devices == []  # a draft gets its devices when it is submitted

    form = {"return_address_id": str(order.return_address_id), "contact_name": "Olga", "service_level": "standard",
            "box_count": "1", "action": "submit"}
    response = client.post(f"/orders/{order.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.state == OrderState.SUBMITTED
    assert sorted(d.serial_number for d in order.devices) == ["ZE11112222", "ZE99990001"]


def test_confirm_is_refused_while_rows_have_errors(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    upload(client, order, "devices_with_errors.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    page = client.post(f"/imports/{batch.id}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "Fix or drop the" in page
    db.session.refresh(batch)
    assert batch.state == ImportState.PREVIEW


def test_import_into_a_submitted_order_registers_the_devices_at_once(client, login, make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=1)
    login(owner)
    upload(client, order, "devices_en_25.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    client.post(f"/imports/{batch.id}/confirm")
    db.session.refresh(order)
    assert len(order.devices) == 26
    assert all(d.status == DeviceStatus.REGISTERED for d in order.devices)


def test_a_column_mapping_is_remembered_for_the_companys_next_import(client, login, make_company):
    from portal.models import Order

    owner = make_company()
    login(owner)
    order = db.session.get(Order, new_draft(client))
    upload(client, order, "devices_messy.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    note_column = next(c for c in batch.columns if c["header"] == "Internal note")
    assert note_column["field"] == ""
    client.post(f"/imports/{batch.id}/columns", data={f"column-{note_column['letter']}": "accessories"})
    db.session.refresh(batch)
    assert next(c for c in batch.columns if c["header"] == "Internal note")["field"] == "accessories"
    assert db.session.scalar(select(ColumnMapping.field).where(ColumnMapping.company_id == owner.company_id)) \
        == "accessories"
    upload(client, order, "devices_messy.xlsx")
    second = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert next(c for c in second.columns if c["header"] == "Internal note")["field"] == "accessories"


def test_a_refused_file_says_why_and_stores_nothing(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    response = upload(client, order, "devices.xls", content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert response.status_code == 422
    assert ".xlsx" in response.get_data(as_text=True)
    assert db.session.scalar(select(ImportBatch)) is None


def test_problems_download_is_their_file_with_a_problems_column(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    upload(client, order, "devices_with_errors.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    response = client.get(f"/imports/{batch.id}/problems.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Manufacturer", "Model", "Serial number"]
    problems = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert problems[0] and "serial" in problems[0].lower()


def test_another_companys_user_cannot_see_or_touch_an_import(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    upload(client, order, "devices_en_25.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    login(make_company())
    assert client.get(f"/imports/{batch.id}").status_code == 404
    assert client.post(f"/imports/{batch.id}/confirm").status_code == 404
    assert client.get(f"/imports/{batch.id}/problems.xlsx").status_code == 404
    assert client.post(f"/orders/{order.id}/import").status_code == 404


def test_the_template_downloads_in_the_users_language(client, login, make_company):
    owner = make_company()
    owner.language = "pl"
    db.session.commit()
    login(owner)
    response = client.get("/import-template.xlsx")
    assert response.status_code == 200
    assert "devices_pl.xlsx" in response.headers["Content-Disposition"]
    load_workbook(io.BytesIO(response.data))


def test_a_large_file_is_read_after_the_upload_with_the_rows_read_shown(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    data = {"file": (io.BytesIO(sample("devices_10000.xlsx")), "devices_10000.xlsx"), "deferred": "1"}
    response = client.post(f"/orders/{order.id}/import", data=data, content_type="multipart/form-data")
    batch = db.session.scalar(select(ImportBatch))
    assert batch.state == ImportState.READING and batch.rows == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reading devices_10000.xlsx" in page and "Read the file now" in page
    assert client.get(f"/imports/{batch.id}/progress").json == {"state": "reading", "rows_read": 0, "rows_total": 0}

    response = client.post(f"/imports/{batch.id}/read")
    assert response.status_code == 302
    db.session.refresh(batch)
    assert batch.state == ImportState.PREVIEW and len(batch.rows) == 10_000
    assert client.get(f"/imports/{batch.id}/progress").json == {
        "state": "preview", "rows_read": 10_000, "rows_total": 10_000}
    assert "Add 10000 devices to the order" in client.get(f"/imports/{batch.id}").get_data(as_text=True)


def test_a_file_refused_when_it_is_read_later_leaves_nothing_behind(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    data = {"file": (io.BytesIO(b"just some text, not a spreadsheet"), "devices.xlsx"), "deferred": "1"}
    client.post(f"/orders/{order.id}/import", data=data, content_type="multipart/form-data")
    batch = db.session.scalar(select(ImportBatch))
    page = client.post(f"/imports/{batch.id}/read", follow_redirects=True).get_data(as_text=True)
    assert "Import devices from a spreadsheet" in page and "spreadsheet" in page
    db.session.expire_all()
    assert db.session.scalar(select(ImportBatch)) is None


def test_a_fix_sent_by_the_page_script_returns_just_the_rows_it_changed(client, login, make_company):
    from portal.models import Order

    login(make_company())
    order = db.session.get(Order, new_draft(client))
    upload(client, order, "devices_with_errors.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    # Row 2 takes the serial of rows 3 and 4: row 2 is now the first, so row 3 becomes a duplicate
    # and row 4 now names row 2.
    response = client.post(f"/imports/{batch.id}/rows/2", data={"action": "fix", "value-serial_number": "ZE11112222"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    result = response.json
    assert set(result["rows"]) == {"2", "3", "4"}
    assert "already in row 2" in result["rows"]["3"] and "already in row 2" in result["rows"]["4"]
    assert 'id="row-2"' in result["rows"]["2"] and "already in row" not in result["rows"]["2"]
    assert "<strong>4</strong> with errors" in result["summary"] and result["can_confirm"] is False
    assert result["confirm_label"] == "Add 1 device to the order"  # row 2 is ready now, row 3 no longer
