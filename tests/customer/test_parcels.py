"""The customer confirms that a return parcel arrived; no one else can."""

from __future__ import annotations

import pytest
from flask import render_template_string

from portal.customer.forms import ConfirmForm
from portal.extensions import db
from portal.models import DeviceStatus, ParcelState
from tests.dispatch_helpers import picked_up_parcel

S = DeviceStatus


@pytest.fixture
def shipped(make_company, make_order, make_staff, take_photos):
    """A parcel of two devices of one order, picked up by the courier."""
    order = make_order(make_company(), devices=2)
    parcel = picked_up_parcel(order.devices, make_staff, take_photos)
    return parcel, order


def test_the_owner_confirms_delivery_and_goes_back_to_the_order(client, login, shipped):
    parcel, order = shipped
    login(order.owner)
    response = client.post(f"/parcels/{parcel.id}/delivered", data={"order_id": order.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{order.id}")
    db.session.expire_all()
    assert parcel.state == ParcelState.DELIVERED and all(d.status == S.DELIVERED for d in parcel.devices)
    again = client.post(f"/parcels/{parcel.id}/delivered", follow_redirects=True)
    assert "already delivered" in again.get_data(as_text=True)


def test_another_companys_user_or_a_colleague_who_may_not_see_the_order_gets_404(client, login, shipped,
                                                                                 make_company, make_user):
    parcel, order = shipped
    login(make_company())
    assert client.post(f"/parcels/{parcel.id}/delivered").status_code == 404
    login(make_user(order.company))  # no right to see colleagues' orders
    assert client.post(f"/parcels/{parcel.id}/delivered").status_code == 404
    assert client.post("/parcels/9999/delivered").status_code == 404
    db.session.expire_all()
    assert parcel.state == ParcelState.PICKED_UP


def test_a_colleague_who_may_only_see_the_order_is_told_why_not(client, login, shipped, make_user):
    parcel, order = shipped
    login(make_user(order.company, rights=("can_see_colleagues_orders",)))
    response = client.post(f"/parcels/{parcel.id}/delivered", follow_redirects=True)
    assert "You may not move this device" in response.get_data(as_text=True)
    db.session.expire_all()
    assert parcel.state == ParcelState.PICKED_UP


def test_the_parcel_summary_macro_shows_tracking_and_the_confirm_button(app, shipped):
    parcel, order = shipped
    template = ('{% from "macros/parcels.html" import parcel_summary %}'
                '{{ parcel_summary(parcel, form, order_id=order_id) }}')
    with app.test_request_context():
        html = render_template_string(template, parcel=parcel, form=ConfirmForm(), order_id=order.id)
        assert "123456789012" in html and "FedEx" in html
        assert 'href="https://www.fedex.com/fedextrack/?trknbr=123456789012"' in html
        assert 'target="_blank" rel="noopener noreferrer"' in html
        assert f'action="/parcels/{parcel.id}/delivered"' in html and "Confirm delivery" in html
        parcel.state = ParcelState.DELIVERED
        html = render_template_string(template, parcel=parcel, form=ConfirmForm(), order_id=order.id)
        assert "Confirm delivery" not in html and "Delivered" in html
    db.session.rollback()
