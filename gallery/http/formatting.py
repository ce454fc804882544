"""The visitor's dates, times and numbers: :mod:`gallery.core.formatting` bound to the request's
locale, and the Jinja filters every template uses (registered once, by :func:`init_app`):

``{{ photo.taken_at|day }}``  ``{{ event.starts_on|date_range(event.ends_on) }}``
``{{ entry.at|datetime }}`` (UTC unless a zone is given: ``entry.at|datetime(zone)``)
``{{ count|number }}``; and ``ngettext`` shows its ``num`` with the locale's separators
("1,234 photos" / "1 234 zdjęcia") without changing the catalogue's ``%(num)d`` messages.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from gallery.core import formatting


def locale_name() -> str:
    """The request's language ("en", "pl")."""
    return str(get_locale() or formatting.DEFAULT_LOCALE)


def day(value: date | datetime | None) -> str:
    return "" if value is None else formatting.day(value, locale_name())


def date_range(start: date | None, end: date | None = None) -> str:
    if start is None:
        return ""
    return formatting.date_range(start, end or start, locale_name())


def moment(value: datetime | None, zone: tzinfo | None = None, *, seconds: bool = False) -> str:
    return "" if value is None else formatting.moment(value, locale_name(), zone, seconds=seconds)


def number(value: int | float | None, decimals: int = 1) -> str:
    return "" if value is None else formatting.number(value, locale_name(), decimals=decimals)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext`` with ``num`` written the locale's way: the plural form is chosen
    by the number, then ``%(num)d`` in the message is filled with :func:`number`."""
    text = get_translations().ungettext(singular, plural, num)
    variables.setdefault("num", number(num, decimals=0))
    return text.replace("%(num)d", "%(num)s") % variables


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    text = get_translations().ungettext(singular, plural, num).replace("%(num)d", "%(num)s")
    variables.setdefault("num", number(num, decimals=0))
    if context.eval_ctx.autoescape:
        return Markup(text) % variables  # the variables are escaped, the message is trusted
    return text % variables


def init_app(app: Flask) -> None:
    """Register the filters (after Flask-Babel, whose ``ngettext`` global this replaces)."""
    app.add_template_filter(day, "day")
    app.add_template_filter(day, "date")
    app.add_template_filter(date_range, "date_range")
    app.add_template_filter(moment, "datetime")
    app.add_template_filter(number, "number")
    app.jinja_env.globals["ngettext"] = _template_ngettext
