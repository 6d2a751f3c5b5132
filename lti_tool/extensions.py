"""Flask extensions, created unbound and bound in the app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel, get_translations
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .models import Base

# expire_on_commit=False: a request keeps using the rows it just wrote without reloading each one.
db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()

_TRANSLATIONS = "_babel_translations"


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()``, ``gettext``, ``ngettext``, ``pgettext``, ``npgettext`` with the translations looked
    up once per rendered template instead of on every call.

    Flask-Babel's template callables find the request's translations anew for each string (a dozen context
    and locale lookups, about 8 µs; a page has 30 to 60 strings). Here a context processor puts them in the
    template context when ``render_template`` starts (under ``force_locale`` too, since it runs at render
    time), and the callables read them from there; templates rendered without that context (imported macros)
    fall back to Flask-Babel's lookup. Same behaviour as Jinja's "newstyle" gettext: autoescaped and always
    ``%``-formatted with the keyword arguments.
    """

    @app.context_processor
    def _translations_for_this_render() -> dict[str, Any]:
        return {_TRANSLATIONS: get_translations()}

    def translations(context: Context) -> Any:
        return context.get(_TRANSLATIONS) or get_translations()

    def finish(context: Context, text: str, variables: dict[str, Any]) -> str:
        if context.eval_ctx.autoescape:
            # As Jinja's own newstyle gettext: the message comes from our catalogs; the %-arguments are escaped.
            text = Markup(text)  # noqa: S704
        if not variables and "%" not in text:
            return text  # what formatting would return, without the work (most strings have no placeholder)
        return text % variables

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        return finish(__context, translations(__context).ugettext(__string), variables)

    @pass_context
    def ngettext(__context: Context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        return finish(__context, translations(__context).ungettext(__singular, __plural, __num), variables)

    @pass_context
    def pgettext(__context: Context, __string_ctx: str, __string: str, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        return finish(__context, translations(__context).upgettext(__string_ctx, __string), variables)

    @pass_context
    def npgettext(
        __context: Context, __string_ctx: str, __singular: str, __plural: str, __num: int, **variables: Any
    ) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        text = translations(__context).unpgettext(__string_ctx, __singular, __plural, __num)
        return finish(__context, text, variables)

    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)
