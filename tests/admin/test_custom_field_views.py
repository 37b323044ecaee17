"""The admins' custom fields page: add, change, reorder, take out of use; logged; admins only."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, CustomField, CustomFieldKind, CustomFieldTarget, Role


def test_an_admin_adds_a_choice_field_and_the_order_form_asks_it(client, login, make_staff, make_company):
    admin = make_staff(Role.ADMIN)
    login(admin)
    page = client.get("/admin/custom-fields").get_data(as_text=True)
    assert "No fields yet." in page
    response = client.post("/admin/custom-fields/new", data={
        "target": "device", "label": "Site", "kind": "choice", "choices": "Warsaw\n\nKraków\n", "help_text": "",
        "is_required": "y", "is_active": "y"})
    assert response.status_code == 302
    field = db.session.scalar(select(CustomField))
    assert (field.target, field.kind, field.options, field.is_required) == (
        CustomFieldTarget.DEVICE, CustomFieldKind.CHOICE, ["Warsaw", "Kraków"], True)
    assert "Warsaw, Kraków" in client.get("/admin/custom-fields").get_data(as_text=True)
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "custom_fields")).all()
    assert [(e.action, e.actor_id) for e in logged] == [("created", admin.id)] and "Site" in logged[0].new_value

    owner = make_company()
    login(owner)
    draft_url = client.post("/orders/new").headers["Location"]
    assert "Kraków" in client.get(draft_url).get_data(as_text=True)


def test_a_bad_field_says_what_and_saves_nothing(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    response = client.post("/admin/custom-fields/new", data={
        "target": "device", "label": "Model", "kind": "text", "choices": "", "is_active": "y"})
    assert response.status_code == 200
    assert "already names one of the device list" in response.get_data(as_text=True)
    response = client.post("/admin/custom-fields/new", data={
        "target": "order", "label": "Region", "kind": "choice", "choices": "", "is_active": "y"})
    page = response.get_data(as_text=True)
    assert "Write the choices, one per line." in page and 'value="Region"' in page
    assert db.session.scalar(select(CustomField)) is None


def test_fields_are_reordered_and_taken_out_of_use(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    for label in ("First", "Second"):
        client.post("/admin/custom-fields/new", data={"target": "order", "label": label, "kind": "text",
                                                     "is_active": "y"})
    first, second = db.session.scalars(select(CustomField).order_by(CustomField.id)).all()
    client.post(f"/admin/custom-fields/{second.id}/move/up")
    db.session.expire_all()
    assert second.position < first.position
    client.post(f"/admin/custom-fields/{first.id}", data={"label": "First", "help_text": "Old"})
    db.session.expire_all()
    assert first.is_active is False and first.kind == CustomFieldKind.TEXT and first.help_text == "Old"


def test_only_admins_keep_the_fields(client, login, make_staff):
    login(make_staff(Role.ACCOUNT_MANAGER))
    assert client.get("/admin/custom-fields").status_code == 403
    assert client.post("/admin/custom-fields/new", data={"target": "order", "label": "X", "kind": "text"}
                       ).status_code == 403
