"""How account errors and roles read on the pages, in the visitor's language (shared by the
management pages and the set-password page)."""

from __future__ import annotations

from flask_babel import gettext as _

from gallery.accounts.passwords import MIN_LENGTH, WeakPasswordError
from gallery.core.errors import GalleryError
from gallery.models import Role


def N_(message: str) -> str:
    """Marks a message for the catalogue without translating it here."""
    return message


#: zxcvbn's feedback sentences (gallery.accounts.passwords gives them as reasons), in the catalogue.
PASSWORD_FEEDBACK = (
    N_("Use a few words, avoid common phrases."),
    N_("No need for symbols, digits, or uppercase letters."),
    N_("Add another word or two. Uncommon words are better."),
    N_("Straight rows of keys are easy to guess."),
    N_("Short keyboard patterns are easy to guess."),
    N_("Use a longer keyboard pattern with more turns."),
    N_('Repeats like "aaa" are easy to guess.'),
    N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    N_("Avoid repeated words and characters."),
    N_('Sequences like "abc" or "6543" are easy to guess.'),
    N_("Avoid sequences."),
    N_("Recent years are easy to guess."),
    N_("Avoid recent years."),
    N_("Avoid years that are associated with you."),
    N_("Dates are often easy to guess."),
    N_("Avoid dates and years that are associated with you."),
    N_("This is a top-10 common password."),
    N_("This is a top-100 common password."),
    N_("This is a very common password."),
    N_("This is similar to a commonly used password."),
    N_("A word by itself is easy to guess."),
    N_("Names and surnames by themselves are easy to guess."),
    N_("Common names and surnames are easy to guess."),
    N_("Capitalization doesn't help very much."),
    N_("All-uppercase is almost as easy to guess as all-lowercase."),
    N_("Reversed words aren't much harder to guess."),
    N_("Predictable substitutions like '@' instead of 'a' don't help very much."),
)


def problem_text(exc: GalleryError) -> str:
    """An account error as the person reads it, in their language."""
    if isinstance(exc, WeakPasswordError):
        if not exc.reasons:
            return _("The password must have at least %(num)s characters.", num=MIN_LENGTH)
        reasons = " ".join(_(reason) for reason in exc.reasons)
        return _("This password is too easy to guess.") + " " + reasons
    messages = {
        "last_admin": _("This is the last active admin: make someone else an admin first."),
        "self_deactivation": _("You cannot deactivate your own account."),
        "user_inactive": _("The account is deactivated: activate it first."),
        "wrong_password": _("The current password is wrong."),
        "conflict": _("A user with this e-mail address already exists."),
    }
    if exc.code in messages:
        return messages[exc.code]
    if exc.field == "email":
        return _("Enter a valid e-mail address.")
    if exc.field == "role":
        return _("Choose one of the roles.")
    if exc.field in ("name", "default_credit"):
        return _("That is too long: at most 200 characters.")
    if exc.status == 404:
        return _("Not found.")
    return _("That did not work; please check the form.")


def role_label(role: Role) -> str:
    return {
        Role.admin: _("admin"),
        Role.editor: _("editor"),
        Role.photographer: _("photographer"),
    }[role]
