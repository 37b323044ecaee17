"""The customer's device page and the order page's bars: where each device is, and since when."""

from portal import workflow
from portal.extensions import db
from portal.models import DeviceStatus, Role


def test_the_device_page_shows_every_stage_with_the_time_reached(client, login, make_company, make_order,
                                                                  make_staff):
    owner = make_company()
    order = make_order(owner, devices=2)
    device = order.devices[0]
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING), station="Receiving 1")
    db.session.commit()
    login(owner)
    page = client.get(f"/devices/{device.id}").get_data(as_text=True)
    bar = page[page.index('class="status-bar"'):page.index("</ol>")]
    assert bar.count('<li class="stage') == len(workflow.USUAL_PATH)
    assert bar.count("stage-done") == 1 and 'aria-current="step"' in bar
    current = bar[bar.index("stage-current"):]
    assert "Received" in current[:200] and "stage-time" in current[:300]
    assert "No photos yet" in page and device.serial_number in page


def test_the_order_page_has_a_bar_per_device_and_the_overall_progress(client, login, make_company, make_order,
                                                                      make_staff):
    owner = make_company()
    order = make_order(owner, devices=2)
    workflow.move(order.devices[0], DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING))
    db.session.commit()
    login(owner)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert page.count('class="mini-bar"') == 2
    assert "Stage 2 of 9: Received" in page and "Stage 1 of 9: Registered" in page
    assert f'max="{2 * 8}" value="1"' in page and "6% of the way" in page
    assert f"/devices/{order.devices[0].id}" in page


def test_another_company_or_a_colleague_without_the_right_gets_404(client, login, make_company, make_order,
                                                                    make_user):
    owner = make_company()
    device = make_order(owner, devices=1).devices[0]
    login(make_company())
    assert client.get(f"/devices/{device.id}").status_code == 404
    login(make_user(owner.company))
    assert client.get(f"/devices/{device.id}").status_code == 404
    login(make_user(owner.company, rights=("can_see_colleagues_orders",)))
    assert client.get(f"/devices/{device.id}").status_code == 200
