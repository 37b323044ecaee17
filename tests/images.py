"""Real image files for the photo booth's tests, made with Pillow, and devices at a photo stage."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from portal import workflow
from portal.extensions import db
from portal.models import DeviceStatus, Role

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), color=(200, 40, 40), **save) -> bytes:
    """A real image: a colour field with a dark square in its top-left corner (to see rotation)."""
    image = Image.new("RGB", size, color)
    image.paste((10, 10, 10), (0, 0, size[0] // 4, size[1] // 4))
    output = BytesIO()
    image.save(output, fmt, **save)
    return output.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF holds a GPS position (Warsaw), as a phone writes it; optionally rotated."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (52.0, 13.0, 46.0), 3: "E", 4: (21.0, 0.0, 44.0)})
    if orientation:
        exif[ORIENTATION] = orientation
    return image_bytes("JPEG", size, exif=exif)


def receive(device, make_staff) -> None:
    """The device scanned in at receiving: it now waits for its intake photos."""
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING))
    db.session.commit()


def make_ready_to_ship(device, make_staff, take_photos) -> None:
    """Received, diagnosed beyond repair and returned unrepaired: the way to dispatch photos."""
    receive(device, make_staff)
    take_photos(device, "intake")
    technician = make_staff(Role.TECHNICIAN)
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    workflow.move(device, DeviceStatus.BEYOND_REPAIR, actor=technician, note="Board burnt")
    workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=make_staff(Role.DISPATCH))
    db.session.commit()
