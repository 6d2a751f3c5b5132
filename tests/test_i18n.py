"""Translations: complete, placeholder-safe, compiled, and used when pages are rendered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import lti_tool
from lti_tool import create_app
from lti_tool.config import TestConfig
from lti_tool.extensions import db

TRANSLATIONS = Path(lti_tool.__file__).parent / "translations"
LANGUAGES = ["es", "fr", "de", "pt"]
PLACEHOLDER = re.compile(r"%\(([^)]+)\)[a-zA-Z]")


def _po(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def _mo(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        return read_mo(f)


def _texts(message) -> tuple[str, ...]:
    value = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(value)


def _ids(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def _messages(catalog) -> dict:
    return {_ids(message): _texts(message) for message in catalog if message.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_and_keeps_placeholders(lang):
    """Every msgid is translated, none is fuzzy, and each msgstr has exactly its msgid's %(name)s placeholders."""
    catalog = _po(lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        texts = _texts(message)
        if not all(texts):
            problems.append(f"untranslated: {message.id!r}")
            continue
        wanted = {name for msgid in _ids(message) for name in PLACEHOLDER.findall(msgid)}
        for text in texts:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
    assert not catalog.fuzzy, f"{lang}: the catalog header is still marked fuzzy"
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_covers_the_template(lang):
    """Each catalog holds every msgid of messages.pot, so a new string cannot ship untranslated."""
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = {message.id for message in read_po(f) if message.id}
    catalog = {message.id for message in _po(lang) if message.id}
    assert not template - catalog, f"{lang}: run pybabel update; missing {sorted(template - catalog)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_po(lang):
    """The committed .mo file holds exactly the .po file's messages (run pybabel compile after editing)."""
    assert _messages(_mo(lang)) == _messages(_po(lang))


@pytest.mark.parametrize(
    ("lang", "expected", "english"),
    [
        ("es", ["Registrar Mentoring Space en su LMS", "Registro manual"], "Manual registration"),
        ("de", ["Mentoring Space in Ihrem LMS registrieren", "Manuelle Registrierung"], "Manual registration"),
    ],
)
def test_registration_help_is_rendered_in_the_requested_language(tmp_path, lang, expected, english):
    """/lti/registration-help follows Accept-Language: translated text and a matching <html lang>."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'i18n.sqlite'}",
        KEYS_DIR=str(tmp_path / "keys"),
        SANDBOX_ENABLED=False,
    )
    with app.app_context():
        db.create_all()
    try:
        response = app.test_client().get("/lti/registration-help", headers={"Accept-Language": lang})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        for text in expected:
            assert text in html
        assert english not in html
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
