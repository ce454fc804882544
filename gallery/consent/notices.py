"""E-mail notices of the takedown workflow (``GALLERY_SMTP_URL``; nothing is sent without it):
editors and admins hear of every new request, a requester who left an address hears the decision.

Sent with the standard library's :mod:`smtplib` (``smtp://`` with STARTTLS when the server offers
it, ``smtps://`` for TLS from the start; ``user:password@`` logs in).  Sending never breaks the
request that caused it: a failure is logged and the request goes on."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.config.consent import ConsentSettings
from gallery.consent.models import TakedownRequest
from gallery.models import Role, User

log = logging.getLogger("gallery.consent.notices")

TIMEOUT = 10  # seconds per SMTP operation

_ACTIONS = {
    "hide": "hide the photo",
    "blur": "blur a person in the photo",
    "erase": "erase the photo",
    "other": "something else (copyright, caption, ...)",
}
_ACTIONS_PL = {
    "hide": "ukrycie zdjęcia",
    "blur": "rozmycie osoby na zdjęciu",
    "erase": "usunięcie zdjęcia",
    "other": "coś innego (prawa autorskie, podpis, …)",
}
_DECISIONS_PL = {
    "restore": "Zdjęcie pozostaje opublikowane: nie znaleźliśmy powodu, by je usunąć.",
    "blur": (
        "Zaznaczone obszary (Twoje lub wybrane przez redaktorów) są teraz rozmyte "
        "we wszystkich publikowanych rozmiarach."
    ),
    "hide": "Zdjęcie nie jest już nigdzie publikowane w galerii.",
    "erase": "Zdjęcie zostało usunięte z galerii i tego samego obrazu nie można już przesłać ponownie.",
}
_DECISIONS = {
    "restore": "The photo stays published: we found no reason to remove it.",
    "blur": "The areas you marked (or that our editors chose) are now blurred in every published size.",
    "hide": "The photo is no longer published anywhere in the gallery.",
    "erase": "The photo has been erased from the gallery, and the same image can no longer be uploaded.",
}


def staff_addresses(session: Session) -> list[str]:
    """The e-mail addresses of active editors and admins (those who decide)."""
    return list(
        session.scalars(
            select(User.email).where(User.role.in_([Role.editor, Role.admin]), User.active.is_(True)).order_by(User.id)
        )
    )


def new_request_messages(
    request: TakedownRequest, recipients: Iterable[str], *, queue_url: str, photo_url: str, hidden: bool, capped: bool
) -> list[EmailMessage]:
    """One message per editor or admin about a new request."""
    if hidden:
        state = "The photo was hidden at once, pending your decision."
    elif capped:
        state = (
            "The photo was NOT hidden: the hourly limit of automatic hides was reached "
            "(GALLERY_TAKEDOWN_AUTOHIDE_PER_HOUR). Please review the queue soon."
        )
    else:
        state = "The photo is still published; the request waits in the queue."
    lines = [
        f"A visitor asked to {_ACTIONS.get(request.action.value, request.action.value)} (request #{request.id}).",
        "",
        state,
        "",
        f"Photo: {photo_url}",
        f"Boxes drawn: {len(request.boxes)}",
        f"Reason: {request.reason or '(none given)'}",
        f"Reply address given: {'yes' if request.email else 'no'}",
        "",
        f"Decide at {queue_url}",
    ]
    subject = f"Takedown request #{request.id}: {request.action.value}" + (
        " (NOT hidden: limit reached)" if capped else ""
    )
    return [_message(to, subject, "\n".join(lines)) for to in recipients]


def decision_message(request: TakedownRequest, *, privacy_url: str) -> EmailMessage | None:
    """The message to the requester about the decision (in English and Polish: the request left no
    language), or None when they left no address."""
    if not request.email or request.decision is None:
        return None
    body = "\n".join(
        [
            "Hello,",
            "",
            f"you asked us to {_ACTIONS.get(request.action.value, request.action.value)} (request #{request.id}).",
            "",
            _DECISIONS[request.decision.value],
            "",
            "Your e-mail address is deleted from our records 30 days after this decision.",
            f"How removal works: {privacy_url}",
            "",
            "---",
            "",
            "Dzień dobry,",
            "",
            f"prosiłeś(-aś) o: {_ACTIONS_PL.get(request.action.value, request.action.value)} "
            f"(zgłoszenie nr {request.id}).",
            "",
            _DECISIONS_PL[request.decision.value],
            "",
            "Twój adres e-mail usuniemy z naszych danych 30 dni po tej decyzji.",
            f"Jak działa usuwanie: {privacy_url}",
        ]
    )
    subject = f"Your request #{request.id} was decided / Zgłoszenie nr {request.id} zostało rozpatrzone"
    return _message(request.email, subject, body)


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send(settings: ConsentSettings, messages: Iterable[EmailMessage]) -> int:
    """Send ``messages`` from ``GALLERY_MAIL_FROM`` through ``GALLERY_SMTP_URL``; returns how many
    went out (0 without an SMTP URL).  Never raises: failures are logged."""
    batch = [m for m in messages if m is not None]
    if not settings.smtp_url or not batch:
        return 0
    parts = urlsplit(settings.smtp_url)
    host, secure = parts.hostname or "localhost", parts.scheme.lower() == "smtps"
    port = parts.port or (465 if secure else 25)
    sent = 0
    try:
        client: smtplib.SMTP
        if secure:
            client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with client:
            client.ehlo()
            if not secure and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            for message in batch:
                message["From"] = settings.mail_from
                client.send_message(message)
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send %d takedown notice(s) through %s:%s: %s", len(batch) - sent, host, port, exc)
    return sent
