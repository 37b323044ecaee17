"""The device fields a spreadsheet column can hold, and the words customers use for them.

The header vocabulary is data, not interface text: it is what customers' files say, in the
languages our customers write (English, Polish, Russian, German, Kazakh, Indonesian), so it
is matched as written and never translated.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

# (field, title) in template order; the titles are the order form's labels.
FIELDS = [
    ("manufacturer", _l("Manufacturer")),
    ("model", _l("Model")),
    ("serial_number", _l("Serial number")),
    ("asset_tag", _l("Asset tag")),
    ("category_id", _l("Category")),
    ("fault_description", _l("Fault description")),
    ("warranty_claimed", _l("Warranty claimed")),
    ("purchase_date", _l("Purchase date")),
    ("accessories", _l("Accessories sent with it")),
    ("box_number", _l("Box")),
    ("data_wipe_allowed", _l("The depot may wipe its data")),
]
FIELD_NAMES = tuple(field for field, _title in FIELDS)
REQUIRED = ("manufacturer", "model", "serial_number", "fault_description")
# The order form's limits (portal.order_form.DeviceRowForm).
TEXT_LIMITS = {"manufacturer": 100, "model": 100, "serial_number": 100, "asset_tag": 100,
               "fault_description": 2000, "accessories": 500}
YES_NO_FIELDS = ("warranty_claimed", "data_wipe_allowed")
TEMPLATE_LANGUAGES = ("en", "pl", "ru")

# The headers our templates write, per language: each is also recognised when read back.
TEMPLATE_HEADERS = {
    "en": {"manufacturer": "Manufacturer", "model": "Model", "serial_number": "Serial number",
           "asset_tag": "Asset tag", "category_id": "Category", "fault_description": "Fault description",
           "warranty_claimed": "Warranty claimed", "purchase_date": "Purchase date",
           "accessories": "Accessories", "box_number": "Box", "data_wipe_allowed": "Data wipe allowed"},
    "pl": {"manufacturer": "Producent", "model": "Model", "serial_number": "Numer seryjny",
           "asset_tag": "Nr inwentarzowy", "category_id": "Kategoria", "fault_description": "Opis usterki",
           "warranty_claimed": "Gwarancja", "purchase_date": "Data zakupu", "accessories": "Akcesoria",
           "box_number": "Karton", "data_wipe_allowed": "Zgoda na usunięcie danych"},
    "ru": {"manufacturer": "Производитель", "model": "Модель", "serial_number": "Серийный номер",
           "asset_tag": "Инвентарный номер", "category_id": "Категория",
           "fault_description": "Описание неисправности", "warranty_claimed": "Гарантия",
           "purchase_date": "Дата покупки", "accessories": "Комплектация", "box_number": "Коробка",
           "data_wipe_allowed": "Разрешено удаление данных"},
}
# The yes and no a template's drop-down offers, per language.
TEMPLATE_YES_NO = {"en": ("yes", "no"), "pl": ("tak", "nie"), "ru": ("да", "нет")}

SYNONYMS = {
    "manufacturer": [
        "manufacturer", "make", "brand", "vendor", "maker", "producer", "mfr", "mfg", "manufacturer name",
        "producent", "marka", "wytwórca", "wytworca",
        "производитель", "изготовитель", "марка", "бренд",
        "hersteller", "marke", "fabrikat",
        "өндіруші", "өндірушісі", "шығарушы",
        "pabrikan", "produsen", "merek", "merk", "pembuat",
    ],
    "model": [
        "model", "model name", "model number", "model no", "model nr", "device model",
        "model urządzenia", "model urzadzenia", "nazwa modelu",
        "модель", "модель устройства",
        "modell", "modellbezeichnung", "gerätemodell",
        "үлгі", "модельі", "моделі",
        "model perangkat", "nama model",
    ],
    "serial_number": [
        "serial number", "serial no", "serial nr", "serial", "serial num", "serialnumber", "s n", "sn",
        "serial no s n", "device serial",
        "numer seryjny", "nr seryjny", "numer fabryczny", "nr fabryczny", "nr ser",
        "серийный номер", "серийный", "серийный no", "серийный ном", "заводской номер", "зав номер",
        "seriennummer", "serien nr", "seriennr", "serien nummer",
        "сериялық нөмір", "сериялық нөмірі", "сериялық номер", "сериялық no", "зауыттық нөмір",
        "nomor seri", "no seri", "nomor serial", "no serial",
    ],
    "asset_tag": [
        "asset tag", "asset", "asset number", "asset no", "asset id", "inventory number", "inventory no",
        "inventory tag", "asset tag number",
        "nr inwentarzowy", "numer inwentarzowy", "nr inw", "inwentarz", "numer ewidencyjny",
        "инвентарный номер", "инв номер", "инвентарный", "инвентарный no", "инв no",
        "inventarnummer", "inventar nr", "anlagennummer", "inventarnr",
        "инвентарлық нөмір", "түгендеу нөмірі", "мүлік нөмірі",
        "nomor aset", "no aset", "nomor inventaris", "tag aset", "kode aset",
    ],
    "category_id": [
        "category", "device category", "device type", "type of device", "kind of device",
        "kategoria", "rodzaj urządzenia", "rodzaj urzadzenia", "typ urządzenia", "typ urzadzenia", "rodzaj",
        "категория", "тип устройства", "вид устройства",
        "kategorie", "gerätetyp", "geräteart", "geratetyp",
        "санат", "санаты", "құрылғы түрі",
        "kategori", "jenis perangkat", "jenis", "tipe perangkat",
    ],
    "fault_description": [
        "fault description", "fault", "problem", "problem description", "issue", "issue description",
        "defect", "description", "fault reported", "reported fault", "symptom", "symptoms", "complaint",
        "error description", "what is wrong", "fault details",
        "opis usterki", "usterka", "opis problemu", "problem", "opis", "awaria", "opis awarii", "uszkodzenie",
        "неисправность", "описание неисправности", "описание проблемы", "проблема", "дефект", "описание",
        "поломка", "описание дефекта",
        "fehlerbeschreibung", "fehler", "problembeschreibung", "defekt", "störung", "storung",
        "ақаулық", "ақаулық сипаттамасы", "ақау", "мәселе", "ақаудың сипаттамасы",
        "kerusakan", "keluhan", "deskripsi kerusakan", "masalah", "deskripsi masalah",
    ],
    "warranty_claimed": [
        "warranty", "under warranty", "warranty claim", "warranty claimed", "in warranty", "guarantee",
        "warranty yes no", "warranty repair",
        "gwarancja", "na gwarancji", "naprawa gwarancyjna", "gwarancyjna",
        "гарантия", "на гарантии", "гарантийный", "гарантийный ремонт", "гарантия да нет",
        "garantie", "gewährleistung", "gewahrleistung", "garantiefall", "unter garantie",
        "кепілдік", "кепілдікте", "кепілдік бойынша",
        "garansi", "dalam garansi", "klaim garansi",
    ],
    "purchase_date": [
        "purchase date", "date of purchase", "purchased", "purchased on", "date purchased", "bought on",
        "data zakupu", "data kupna", "data nabycia",
        "дата покупки", "дата приобретения", "дата продажи",
        "kaufdatum", "einkaufsdatum", "datum des kaufs", "kauf datum",
        "сатып алу күні", "сатып алынған күні", "сатып алу мерзімі",
        "tanggal pembelian", "tgl pembelian", "tanggal beli", "tgl beli",
    ],
    "accessories": [
        "accessories", "accessory", "included", "included accessories", "accessories sent",
        "accessories sent with it",
        "akcesoria", "wyposażenie", "wyposazenie", "dodatki",
        "аксессуары", "комплектация", "комплект", "принадлежности",
        "zubehör", "zubehor", "lieferumfang",
        "керек жарақтар", "аксессуарлар", "жинақтама", "жиынтық",
        "aksesoris", "kelengkapan",
    ],
    "box_number": [
        "box", "box number", "box no", "box nr", "carton", "carton number", "parcel", "package", "box #",
        "karton", "pudełko", "pudelko", "nr kartonu", "numer kartonu", "paczka", "nr paczki", "numer paczki",
        "коробка", "номер коробки", "короб", "место", "номер места",
        "kartonnummer", "paket", "kiste", "paketnummer",
        "қорап", "қорап нөмірі", "орын",
        "kotak", "nomor kotak", "dus", "no kotak", "nomor dus",
    ],
    "data_wipe_allowed": [
        "data wipe allowed", "wipe allowed", "data wipe", "may wipe data", "wipe data", "data erase allowed",
        "the depot may wipe its data",
        "zgoda na usunięcie danych", "usunięcie danych", "usuniecie danych", "kasowanie danych",
        "удаление данных", "разрешено удаление данных", "стирание данных", "можно стереть данные",
        "datenlöschung", "datenlöschung erlaubt", "daten löschen",
        "деректерді жою", "деректерді өшіру", "деректерді жоюға рұқсат",
        "hapus data", "penghapusan data", "boleh hapus data",
    ],
}

# Headers of columns we write ourselves and read past without a word (the problems copy).
IGNORED_HEADERS = ["problems", "problemy", "проблемы", "probleme", "мәселелер", "masalah file", "ошибки",
                   "błędy", "bledy"]

YES_WORDS = ["yes", "y", "true", "1", "tak", "t", "да", "д", "ja", "j", "иә", "ия", "ya", "iya", "x", "✓",
             "✔", "wahr", "prawda"]
NO_WORDS = ["no", "n", "false", "0", "nie", "нет", "н", "nein", "жоқ", "жок", "tidak", "tdk", "falsch",
            "fałsz", "falsz"]

_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """A header as we compare it: case, spacing, punctuation and accents' composed forms set aside."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for field, words in SYNONYMS.items():
        for word in words:
            table.setdefault(normalise(word), field)
    for headers in TEMPLATE_HEADERS.values():
        for field, header in headers.items():
            table.setdefault(normalise(header), field)
    return table


HEADER_LOOKUP = _lookup()
IGNORED = frozenset(normalise(h) for h in IGNORED_HEADERS)
# Synonyms long enough to be found inside a longer header ("Serial number / IMEI").
_CONTAINED = sorted(((f" {word} ", field) for word, field in HEADER_LOOKUP.items() if len(word) >= 5),
                    key=lambda item: -len(item[0]))
YES_NO = {**{normalise(w) or w: True for w in YES_WORDS}, **{normalise(w) or w: False for w in NO_WORDS}}


def recognise(header: str, extra: dict[str, str] | None = None) -> str | None:
    """The device field a header names, or None; `extra` maps more normalised headers to fields."""
    key = normalise(header)
    if not key:
        return None
    if extra and key in extra:
        return extra[key]
    field = HEADER_LOOKUP.get(key)
    if field or len(key) > 60:
        return field
    padded = f" {key} "
    found = None
    for word, field in _CONTAINED:
        if word in padded:
            if found is None:
                found = (len(word), field)
            elif len(word) < found[0]:
                break
            elif field != found[1]:
                return None  # two fields named equally well: let the user choose
    return found[1] if found else None


def is_ignored(header: str) -> bool:
    return normalise(header) in IGNORED


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1
