"""English is really available: the catalogue is complete, compiled, and used by models, admin and requests.

Source strings are Vietnamese (LANGUAGE_CODE = "vi"); ``locale/en/LC_MESSAGES/django.po`` translates them
and the compiled ``django.mo`` is committed so a machine without gettext tools serves English too. After
changing a marked string run
``manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench``, translate the
new entries, then ``manage.py compilemessages -l en --ignore=.venv``.
"""

from __future__ import annotations

import ast
import gettext
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.utils import translation

from procedures.models import Procedure
from sla.choices import TermUnit

PO_PATH = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
OUR_APPS = ("procedures", "sla", "workflows", "metrics")
# Letters that occur in Vietnamese but not in our English: a label still containing one was not translated.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|%[-+ #0]*\d*(?:\.\d+)?[sd]|\{\w*\}")


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    def catalogue_items(self) -> list[tuple[str | tuple[str, int], str]]:
        """The (key, translation) pairs this entry puts in a compiled catalogue, keyed like ``_catalog``."""
        msgid = self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"
        if self.msgid_plural is None:
            return [(msgid, self.msgstr.get(0, ""))]
        return [((msgid, n), text) for n, text in sorted(self.msgstr.items())]


def parse_po(text: str) -> list[PoEntry]:
    """Just enough of the PO format for our catalogue: contexts, plurals, flags, obsolete entries."""
    entries: list[PoEntry] = []
    entry, key = PoEntry(), None

    def flush() -> None:
        nonlocal entry, key
        if key is not None:
            entries.append(entry)
        entry, key = PoEntry(), None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#"):
            if key is not None and not key[0].startswith("msgctxt"):
                flush()  # a comment after a msgstr starts the next entry even without a blank line
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            value = ast.literal_eval(line)
        elif keyword in ("msgctxt", "msgid", "msgid_plural") or keyword.startswith("msgstr"):
            if keyword in ("msgctxt", "msgid") and key is not None and key[0].startswith("msgstr"):
                flush()
            if keyword == "msgid" and key is None:
                entry.line = number
            key = (keyword, int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0)
            value = ast.literal_eval(rest)
            if key[0] == "msgctxt":
                entry.msgctxt = ""
            elif key[0] == "msgid_plural":
                entry.msgid_plural = ""
            elif key[0].startswith("msgstr"):
                entry.msgstr.setdefault(key[1], "")
        else:
            raise AssertionError(f"{PO_PATH}:{number}: cannot parse {raw!r}")
        if key is None:
            raise AssertionError(f"{PO_PATH}:{number}: string outside an entry")
        if key[0] == "msgctxt":
            entry.msgctxt += value
        elif key[0] == "msgid":
            entry.msgid += value
        elif key[0] == "msgid_plural":
            entry.msgid_plural += value
        else:
            entry.msgstr[key[1]] += value
    flush()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[PoEntry]:
    return [e for e in parse_po(PO_PATH.read_text(encoding="utf-8")) if not e.obsolete]


def _header(entries: list[PoEntry]) -> dict[str, str]:
    (header,) = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert "fuzzy" not in header.flags, "the header is fuzzy, so msgfmt would drop it"
    pairs = (line.partition(":") for line in header.msgstr[0].splitlines() if line)
    return {name.strip(): value.strip() for name, _, value in pairs}


# (a) the catalogue is complete


def test_po_header_declares_english_utf8(po_entries):
    header = _header(po_entries)
    assert header["Language"] == "en"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"


def test_po_has_every_entry_translated_and_none_fuzzy(po_entries):
    messages = [e for e in po_entries if e.msgid]
    assert len(messages) > 100  # the parser really read the catalogue
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in messages if not all(e.msgstr.values())]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in messages if "fuzzy" in e.flags]
    assert not (untranslated or fuzzy), (
        "untranslated entries in django.po:\n"
        + "\n".join(untranslated)
        + "\nfuzzy entries (check them, then drop the flag):\n"
        + "\n".join(fuzzy)
    )


def test_po_translations_keep_the_placeholders(po_entries):
    broken = []
    for e in po_entries:
        if not e.msgid:
            continue
        wanted = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        for n, text in e.msgstr.items():
            # an English singular may spell out "one" instead of %(n)d; only its plural must keep all
            if sorted(PLACEHOLDER.findall(text)) != wanted and not (e.msgid_plural and n == 0):
                broken.append(f"line {e.line}: {e.msgid!r} -> {text!r}")
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


def test_po_translations_are_english(po_entries):
    """A msgstr still containing Vietnamese letters was copied rather than translated."""
    allowed = {"đồng"}  # the currency's name, kept next to "VND"
    leftover = [
        f"line {e.line}: {text!r}"
        for e in po_entries
        if e.msgid
        for text in e.msgstr.values()
        if VIETNAMESE.search(" ".join(w for w in re.split(r"[\s:()'\"]+", text) if w not in allowed))
    ]
    assert not leftover, "msgstr with Vietnamese text:\n" + "\n".join(leftover)


# (b) the committed .mo is the compiled .po


def test_mo_is_up_to_date_with_po(po_entries):
    with MO_PATH.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    mo_catalogue = {k: v for k, v in compiled._catalog.items() if k != ""}
    # msgfmt leaves out fuzzy and untranslated entries
    po_catalogue = {
        key: text
        for e in po_entries
        if e.msgid and "fuzzy" not in e.flags
        for key, text in e.catalogue_items()
        if text
    }
    missing = sorted(map(str, po_catalogue.keys() - mo_catalogue.keys()))
    stale = sorted(map(str, mo_catalogue.keys() - po_catalogue.keys()))
    changed = sorted(
        str(k) for k in po_catalogue.keys() & mo_catalogue.keys() if po_catalogue[k] != mo_catalogue[k]
    )
    hint = "django.mo is out of date: run `manage.py compilemessages -l en --ignore=.venv`"
    assert not missing, f"{hint}; not compiled: {missing}"
    assert not stale, f"{hint}; no longer in the .po: {stale}"
    assert not changed, f"{hint}; translation changed: {changed}"
    assert compiled.info().get("language") == "en"
    assert compiled.charset().lower() == "utf-8"


# (c) our labels follow the active language


def test_labels_render_in_english_with_en_active():
    with translation.override("en"):
        assert str(Procedure._meta.verbose_name) == "administrative procedure"
        assert str(Procedure._meta.get_field("code").verbose_name) == "procedure code"
        assert str(TermUnit.WORKING_DAYS.label) == "working days"
        assert str(apps.get_app_config("procedures").verbose_name) == "Administrative procedure catalogue"
        assert str(dict(settings.LANGUAGES)["vi"]) == "Vietnamese"


def test_labels_stay_vietnamese_with_vi_active():
    with translation.override("vi"):
        assert str(Procedure._meta.verbose_name) == "thủ tục hành chính"
        assert str(Procedure._meta.get_field("code").verbose_name) == "mã thủ tục"
        assert str(TermUnit.WORKING_DAYS.label) == "ngày làm việc"
        assert str(apps.get_app_config("procedures").verbose_name) == "Danh mục thủ tục hành chính"


def _admin_site() -> admin.AdminSite:
    """The admin site with its titles set: the URLconf sets them and is imported only on the first request."""
    importlib.import_module(settings.ROOT_URLCONF)
    return admin.site


def _our_labels() -> list[tuple[str, object]]:
    """Every label our apps show in the admin: app, model, field and choice names, help texts, admin texts."""
    site = _admin_site()
    labels: list[tuple[str, object]] = [
        ("admin.site.site_header", site.site_header),
        ("admin.site.site_title", site.site_title),
        ("admin.site.index_title", site.index_title),
    ]
    for app_label in OUR_APPS:
        config = apps.get_app_config(app_label)
        labels.append((f"{app_label} app", config.verbose_name))
        for model in config.get_models():
            name = model._meta.label
            labels += [(name, model._meta.verbose_name), (f"{name} plural", model._meta.verbose_name_plural)]
            for f in model._meta.get_fields():
                if f.auto_created and not f.concrete:
                    continue
                labels += [(f"{name}.{f.name}", f.verbose_name), (f"{name}.{f.name} help", f.help_text)]
                labels += [(f"{name}.{f.name} choice {v!r}", text) for v, text in f.flatchoices]
    for model, model_admin in site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        name = type(model_admin).__name__
        for column in model_admin.list_display:
            description = getattr(getattr(model_admin, column, None), "short_description", None)
            labels.append((f"{name}.{column}", description))
        labels += [(f"{name} fieldset", title) for title, _ in model_admin.fieldsets or ()]
        for inline in model_admin.inlines:
            labels += [
                (inline.__name__, inline.verbose_name),
                (f"{inline.__name__} plural", inline.verbose_name_plural),
            ]
            for column in inline.readonly_fields:
                description = getattr(getattr(inline, column, None), "short_description", None)
                labels.append((f"{inline.__name__}.{column}", description))
    from workflows.roles import Role

    labels += [(f"Role.{role.name}", role.label) for role in Role]
    return [(where, text) for where, text in labels if text]


def test_every_label_of_our_apps_has_an_english_translation():
    """Catches a label missing from the catalogue and a Vietnamese label not marked for translation."""
    with translation.override("en"):
        vietnamese = [
            f"{where}: {str(text)!r}" for where, text in _our_labels() if VIETNAMESE.search(str(text))
        ]
    assert not vietnamese, "labels still Vietnamese with English active:\n" + "\n".join(vietnamese)


# (d) a browser asking for English gets English


@pytest.mark.django_db
def test_admin_login_follows_accept_language(client):
    site = _admin_site()
    with translation.override("en"):
        header_en = str(site.site_header)
    with translation.override("vi"):
        header_vi = str(site.site_header)
    assert header_en != header_vi

    english = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in english
    assert "Đăng nhập" not in english
    assert header_en in english
    assert '<html lang="en"' in english

    vietnamese = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Đăng nhập" in vietnamese
    assert header_vi in vietnamese
    assert '<html lang="vi"' in vietnamese


@pytest.mark.django_db
def test_set_language_switches_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
