"""Checklists and technicians' skills over HTTP."""

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal import checklists
from portal.extensions import db
from portal.models import ChecklistItem, ChecklistKind, Role, TechnicianSkill

DIAG = ChecklistKind.DIAGNOSIS


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


def texts(category, kind=DIAG):
    db.session.expire_all()
    return [i.text for i in checklists.items_for(category, kind)]


def test_admin_adds_edits_reorders_and_deactivates_items(client, login, admin, make_category):
    laptop = make_category()
    login(admin)
    url = f"/admin/checklists?category={laptop.id}&kind=diagnosis"
    assert client.get(url).status_code == 200
    for text in ("Powers on", "Keyboard", "Hinges"):
        assert client.post(url, data={"text": text}).status_code == 302
    assert texts(laptop) == ["Powers on", "Keyboard", "Hinges"]
    hinges = db.session.scalar(select(ChecklistItem).where(ChecklistItem.text == "Hinges"))
    assert client.post(f"/admin/checklists/items/{hinges.id}/move/up").status_code == 302
    assert texts(laptop) == ["Powers on", "Hinges", "Keyboard"]
    response = client.post(f"/admin/checklists/items/{hinges.id}/text", data={f"item{hinges.id}-text": "Hinges firm"})
    assert response.status_code == 302 and response.location.endswith(f"?category={laptop.id}&kind=diagnosis")
    assert client.post(f"/admin/checklists/items/{hinges.id}/active").status_code == 302
    assert texts(laptop) == ["Powers on", "Keyboard"]
    assert db.session.scalar(select(func.count()).select_from(ChecklistItem)) == 3  # never deleted


def test_a_duplicate_item_is_refused_beside_its_field(client, login, admin, make_category):
    laptop = make_category()
    keyboard = checklists.add_item(laptop, DIAG, "Keyboard")
    screen = checklists.add_item(laptop, DIAG, "Screen")
    db.session.commit()
    login(admin)
    response = client.post(f"/admin/checklists?category={laptop.id}&kind=diagnosis", data={"text": "keyboard"})
    assert response.status_code == 400 and re.search(r'id="text-error">[^<]*already', response.get_data(as_text=True))
    response = client.post(f"/admin/checklists/items/{screen.id}/text", data={f"item{screen.id}-text": "KEYBOARD"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and re.search(rf'id="item{screen.id}-text-error">[^<]*already', page)
    assert 'value="KEYBOARD"' in page  # what was typed stays
    assert texts(laptop) == ["Keyboard", "Screen"] and keyboard.id


def test_an_unknown_list_is_404(client, login, admin):
    login(admin)
    assert client.get("/admin/checklists?kind=repair").status_code == 404
    assert client.get("/admin/checklists?category=999").status_code == 404


def test_checklists_export_and_import(client, login, admin, make_category):
    laptop = make_category()
    checklists.add_item(laptop, DIAG, "Keyboard")
    db.session.commit()
    login(admin)
    response = client.get("/admin/checklists.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = Workbook()
    book.active.append(["Category (empty: all)", "Checklist", "Position", "Item"])
    book.active.append(["Laptop", "Diagnosis", 1, "Screen"])
    book.active.append(["Laptop", "Quality check", 1, "Battery"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    assert client.post("/admin/checklists/import", data={"file": (buffer, "c.xlsx")}).status_code == 302
    assert texts(laptop) == ["Screen"] and texts(laptop, ChecklistKind.QUALITY_CHECK) == ["Battery"]


def test_a_bad_checklist_import_lists_the_rows_and_changes_nothing(client, login, admin, make_category):
    laptop = make_category()
    checklists.add_item(laptop, DIAG, "Keyboard")
    db.session.commit()
    book = Workbook()
    book.active.append(["Category (empty: all)", "Checklist", "Position", "Item"])
    book.active.append(["Laptop", "Diagnosis", 1, "Screen"])
    book.active.append(["Toaster", "Diagnosis", 1, "Crumbs"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    login(admin)
    response = client.post("/admin/checklists/import", data={"file": (buffer, "c.xlsx")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "nothing was changed" in page and "Toaster" in page
    assert texts(laptop) == ["Keyboard"]


def test_skills_are_added_and_removed(client, login, admin, make_staff, make_category):
    laptop = make_category()
    tech = make_staff(Role.TECHNICIAN, name="Tomasz Technik")
    make_staff(Role.DISPATCH, name="Dora Dispatch")
    login(admin)
    page = client.get("/admin/skills").get_data(as_text=True)
    assert "Tomasz Technik" in page and "Dora Dispatch" not in page
    prefix = f"t{tech.id}-"
    response = client.post(f"/admin/skills/{tech.id}", data={prefix + "category_id": str(laptop.id),
                                                             prefix + "manufacturer": "Dell"})
    assert response.status_code == 302
    response = client.post(f"/admin/skills/{tech.id}", data={prefix + "category_id": "0", prefix + "manufacturer": ""})
    assert response.status_code == 400
    assert re.search(rf'id="{prefix}category_id-error">[^<]*Choose a category', response.get_data(as_text=True))
    skill = db.session.scalar(select(TechnicianSkill))
    assert (skill.category_id, skill.manufacturer) == (laptop.id, "Dell")
    assert client.post(f"/admin/skills/remove/{skill.id}").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(TechnicianSkill)) == 0


@pytest.mark.parametrize("roles", [(Role.TECHNICIAN,), (Role.ACCOUNT_MANAGER,), (Role.CUSTOMER_CARE,)])
def test_only_admins_edit_checklists_and_skills(client, login, make_staff, make_category, roles):
    laptop = make_category()
    item = checklists.add_item(laptop, DIAG, "Keyboard")
    tech = make_staff(Role.TECHNICIAN)
    db.session.commit()
    login(make_staff(*roles))
    for url in ("/admin/checklists", "/admin/skills", "/admin/checklists.xlsx"):
        assert client.get(url).status_code == 403, url
    for url, data in [("/admin/checklists", {"text": "New"}), (f"/admin/checklists/items/{item.id}/text", {}),
                      (f"/admin/checklists/items/{item.id}/move/down", {}),
                      (f"/admin/checklists/items/{item.id}/active", {}),
                      (f"/admin/skills/{tech.id}", {f"t{tech.id}-category_id": str(laptop.id)})]:
        assert client.post(url, data=data).status_code == 403, url
    assert texts(laptop) == ["Keyboard"]
    assert db.session.scalar(select(func.count()).select_from(TechnicianSkill)) == 0


def test_a_customer_gets_403(client, login, make_company):
    login(make_company())
    for url in ("/admin/checklists", "/admin/skills"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/checklists", data={"text": "x"}).status_code == 403


def test_every_form_carries_a_csrf_token(app, client, login, admin, make_category, make_staff):
    laptop = make_category()
    checklists.add_item(laptop, DIAG, "Keyboard")
    make_staff(Role.TECHNICIAN)
    db.session.commit()
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    for url in (f"/admin/checklists?category={laptop.id}", "/admin/skills"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert len(forms) >= 3, url
        assert all(re.search(r'name="([a-z0-9]+-)?csrf_token"', form) for form in forms), url


def test_the_per_row_forms_post_with_their_prefixed_token(app, client, login, admin, make_category, make_staff):
    laptop = make_category()
    item = checklists.add_item(laptop, DIAG, "Keyboard")
    tech = make_staff(Role.TECHNICIAN)
    db.session.commit()
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/admin/checklists?category={laptop.id}").get_data(as_text=True)
    token = re.search(rf'name="item{item.id}-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/checklists/items/{item.id}/text",
                           data={f"item{item.id}-csrf_token": token, f"item{item.id}-text": "Keys"})
    assert response.status_code == 302 and texts(laptop) == ["Keys"]
    page = client.get("/admin/skills").get_data(as_text=True)
    token = re.search(rf'name="t{tech.id}-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/skills/{tech.id}", data={f"t{tech.id}-csrf_token": token,
                                                            f"t{tech.id}-category_id": str(laptop.id)})
    assert response.status_code == 302
