"""The office's side of orders: the new-orders page, the completeness check, orders on behalf, categories."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Company, DeviceCategory, Order, OrderState, RequestType, Role, User


def test_new_orders_lists_submitted_orders_of_my_companies_oldest_first(client, login, make_company, make_order,
                                                                          make_staff):
    manager = make_staff(Role.ACCOUNT_MANAGER)
    owner = make_company()
    first, second = make_order(owner), make_order(owner)
    make_order(owner, submit=False)
    login(manager)
    page = client.get("/admin/orders").get_data(as_text=True)
    assert page.index(first.number) < page.index(second.number)
    other_manager_view = client.get("/admin/orders?mine=0").get_data(as_text=True)
    assert first.number in other_manager_view


def test_check_accepts_with_request_types(client, login, make_company, make_order, make_staff):
    care = make_staff(Role.CUSTOMER_CARE)
    order = make_order(make_company(), devices=2)
    first, second = order.devices
    login(care)
    response = client.post(f"/admin/orders/{order.id}", data={"action": "accept", f"type-{first.id}": "warranty",
                                                              f"type-{second.id}": "paid"})
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.state == OrderState.ACCEPTED and order.checked_by == care
    assert (first.request_type, second.request_type) == (RequestType.WARRANTY, RequestType.PAID)


def test_return_needs_a_note_and_mails_the_customer(client, login, make_company, make_order, make_staff, send_mail):
    care = make_staff(Role.CUSTOMER_CARE)
    owner = make_company()
    order = make_order(owner)
    login(care)
    page = client.post(f"/admin/orders/{order.id}", data={"action": "return", "note": ""}).get_data(as_text=True)
    assert "Tell the customer what to fix." in page
    db.session.refresh(order)
    assert order.state == OrderState.SUBMITTED
    client.post(f"/admin/orders/{order.id}", data={"action": "return", "note": "Box count is wrong"})
    db.session.refresh(order)
    assert order.state == OrderState.RETURNED
    [mail] = [m for m in send_mail().to(owner.email) if order.number in m["Subject"] and "attention" in m["Subject"]]
    assert "Box count is wrong" in mail.get_body(("plain",)).get_content()


def test_technician_cannot_check_orders(client, login, make_company, make_order, make_staff):
    order = make_order(make_company())
    login(make_staff(Role.TECHNICIAN))
    assert client.get("/admin/orders").status_code == 403
    assert client.post(f"/admin/orders/{order.id}", data={"action": "accept"}).status_code == 403


def test_manager_orders_on_behalf_of_a_new_company_whose_user_is_invited(client, login, make_staff, send_mail):
    manager = make_staff(Role.ACCOUNT_MANAGER)
    login(manager)
    response = client.post("/admin/orders/on-behalf", data={
        "company_id": "0", "legal_name": "Nowa Firma Sp. z o.o.", "tax_id": "PL7770001112", "country": "PL",
        "industry": "retail", "size_band": "10-49", "street": "ul. Nowa 1", "postcode": "00-950",
        "city": "Warszawa", "name": "Nina Nowak", "email": "nina@nowa.example"})
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert response.headers["Location"].endswith(f"/admin/orders/{order.id}/edit")
    nina = db.session.scalar(select(User).where(User.email == "nina@nowa.example"))
    assert order.owner == nina and order.created_by == manager and nina.password_hash is None
    [mail] = send_mail().to("nina@nowa.example")
    assert "/invitation/" in mail.get_body(("plain",)).get_content()
    data = {"return_address_id": str(order.return_address_id), "contact_name": "Nina", "service_level": "express",
            "box_count": "1", "devices-0-manufacturer": "Makita", "devices-0-model": "DHP482",
            "devices-0-serial_number": "MK-1", "devices-0-fault_description": "Chuck slips", "action": "submit"}
    response = client.post(f"/admin/orders/{order.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.state == OrderState.SUBMITTED
    assert order.devices[0].transitions[0].on_behalf_of == nina


def test_on_behalf_of_an_existing_company(client, login, make_company, make_staff):
    owner = make_company()
    login(make_staff(Role.CUSTOMER_CARE))
    response = client.post("/admin/orders/on-behalf", data={"company_id": str(owner.company_id)})
    assert response.status_code == 302
    assert db.session.scalar(select(Order)).owner == owner
    assert db.session.scalar(select(db.func.count()).select_from(Company)) == 1


def test_admin_keeps_the_category_list(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    client.post("/admin/categories", data={"name": "Label printer"})
    page = client.post("/admin/categories", data={"name": "Label printer"}).get_data(as_text=True)
    assert "already on the list" in page
    category = db.session.scalar(select(DeviceCategory))
    client.post(f"/admin/categories/{category.id}/toggle")
    db.session.refresh(category)
    assert category.name == "Label printer" and not category.is_active
