"""Reading printed barcodes back, as a scanner at the depot would."""

import subprocess
from pathlib import Path


def decode_barcodes(pdf: bytes, folder: Path) -> list[str]:
    """Render at 150 dpi, as a cheap office printer and a handheld scanner see it, and decode with zbar."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf_file = folder / "doc.pdf"
    pdf_file.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf_file), str(folder / "page")], check=True)
    codes = []
    for page in sorted(folder.glob("page*.png")):
        result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Scode128.enable", str(page)],
                                capture_output=True, text=True)
        codes += [line for line in result.stdout.splitlines() if line]
    return codes
