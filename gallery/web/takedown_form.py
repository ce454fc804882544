"""The takedown request form (CSRF; a honeypot field rather than a CAPTCHA)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gallery.consent.requests import EMAIL_MAX, REASON_MAX

ACTIONS = [
    ("hide", _l("Hide this photo")),
    ("blur", _l("Blur me (mark where you are on the photo)")),
    ("erase", _l("Erase this photo")),
    ("other", _l("Something else (copyright, wrong caption, ...)")),
]


class TakedownForm(FlaskForm):
    action = RadioField(_l("What should we do?"), choices=ACTIONS, default="hide", validators=[DataRequired()])
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=REASON_MAX)])
    email = EmailField(
        _l("Your e-mail, to hear the decision (optional)"), validators=[Optional(), Length(max=EMAIL_MAX)]
    )
    # Boxes drawn on the photo (JSON, fractions of the photo as displayed); empty without JavaScript.
    boxes = HiddenField(validators=[Optional(), Length(max=4000)])
    # The honeypot: hidden from people (CSS and aria-hidden); bots fill it in.
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
