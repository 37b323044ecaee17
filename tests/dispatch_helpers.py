"""Devices on their way back: received, found without fault, packed and picked up by the courier."""

from portal import dispatch, workflow
from portal.extensions import db
from portal.models import Carrier, DeviceStatus, Role, Station, StationKind


def picked_up_parcel(devices, make_staff, take_photos):
    """One parcel holding `devices` (of one order), photographed and picked up by FedEx."""
    receiving, technician, packer = (make_staff(Role.RECEIVING), make_staff(Role.TECHNICIAN),
                                     make_staff(Role.DISPATCH))
    station = Station(name="Dispatch 1", kind=StationKind.DISPATCH)
    db.session.add(station)
    parcel = None
    for device in devices:
        workflow.move(device, DeviceStatus.RECEIVED, actor=receiving)
        take_photos(device, "intake")
        workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
        workflow.move(device, DeviceStatus.NO_FAULT_FOUND, actor=technician)
        parcel = dispatch.scan(device.tag_code, actor=packer, station=station, parcel=parcel).parcel
        take_photos(device, "dispatch")
    dispatch.set_carrier(parcel, Carrier.FEDEX, "123456789012", "", packer)
    assert dispatch.pick_up(parcel.code, actor=packer, station=station).level == "success"
    db.session.commit()
    return parcel
