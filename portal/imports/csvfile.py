"""CSV files as Excel and other programs save them: UTF-8 with or without BOM, UTF-16, or a Windows
code page (1250 for Polish, 1251 for Cyrillic); `,`, `;`, tab or `|` between the values."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from flask_babel import gettext as _

from portal.imports.result import FileRefused

DELIMITERS = (";", ",", "\t", "|")
SAMPLE = 256 * 1024
HEADER_SCAN_LINES = 30
_LETTERS = re.compile(r"[^\W\d_]+")
_SEP_LINE = re.compile(r"sep=(.)\r?\n")


def _plausibility(text: str) -> int:
    """How much of the text reads as words of one script: Polish decoded as cp1251 mixes Cyrillic
    into Latin words ("siк"), Russian decoded as cp1250 gives words of accented letters only."""
    score = 0
    for word in _LETTERS.findall(text):
        if word.isascii():
            continue
        latin = cyrillic = other = accented = 0
        for char in word:
            code = ord(char)
            if code < 0x80:
                latin += 1
            elif code < 0x250:
                accented += 1
            elif 0x400 <= code < 0x530:
                cyrillic += 1
            else:
                other += 1
        if other or (cyrillic and (latin or accented)):
            score -= len(word)
        elif cyrillic or accented <= max(1, len(word) // 3):
            score += len(word)
        else:
            score -= len(word)
    return score


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in. UTF-8 is tried strictly first; a Windows file is read
    with whichever of cp1250 and cp1251 gives more plausible words."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            sample = data[:SAMPLE]
            encoding = max(("cp1250", "cp1251"),
                           key=lambda name: _plausibility(sample.decode(name, errors="replace")))
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise FileRefused(_("The file's text could not be read: it says it is %(encoding)s but is not. Save it "
                            "again as CSV UTF-8, or as an Excel workbook (.xlsx).", encoding=encoding.upper()),
                          "bad_encoding") from error


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return control > len(head) // 100


def looks_tabular(text: str) -> bool:
    """Lines split into the same number of values (two or more) by one of the delimiters: a table,
    not a letter or a note saved as text."""
    lines = [line for line in text.splitlines()[:HEADER_SCAN_LINES] if line.strip()]
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) + 1 for line in lines]
        common = max(set(counts), key=counts.count, default=1)
        if common >= 2 and (len(lines) == 1 and common >= 3 or counts.count(common) >= max(2, 0.6 * len(lines))):
            return True
    return False


def separator_line(text: str) -> str | None:
    """Excel's "sep=;" first line names the delimiter."""
    match = _SEP_LINE.match(text)
    return match.group(1) if match else None


def records(text: str, delimiter: str, *, skip_sep_line: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, its values); blank lines are left out."""
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter, strict=False)
    line = 0
    if skip_sep_line:
        stream.readline()
        line = 1
    try:
        for values in reader:
            start = line + 1
            line = reader.line_num + (1 if skip_sep_line else 0)
            if values:
                yield start, values
    except csv.Error as error:
        raise FileRefused(_("Line %(line)d of the file could not be read as CSV (%(reason)s). Check the quotes "
                            "on that line, or save the file as an Excel workbook (.xlsx).", line=line + 1,
                            reason=str(error)), "bad_csv") from error
