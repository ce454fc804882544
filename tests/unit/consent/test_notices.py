"""Notices (gallery/consent/notices.py) through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging

import pytest

from gallery.config.consent import ConsentSettings
from gallery.consent import notices
from gallery.consent.models import Decision, TakedownAction, TakedownRequest
from tests.consent.smtp import free_port, smtp_sink


def request(**values: object) -> TakedownRequest:
    base = {"id": 7, "action": TakedownAction.blur, "boxes": [{"x": 0, "y": 0, "w": 0.5, "h": 0.5}], "reason": "Me"}
    return TakedownRequest(**{**base, **values})


def test_new_request_messages_say_whether_the_photo_was_hidden() -> None:
    made = notices.new_request_messages(
        request(), ["a@example.org", "b@example.org"], queue_url="http://x/manage/takedowns",
        photo_url="http://x/albums/a/photos/1", hidden=True, capped=False,
    )  # fmt: skip
    assert [m["To"] for m in made] == ["a@example.org", "b@example.org"]
    body = made[0].get_content()
    assert "hidden at once" in body and "http://x/albums/a/photos/1" in body and "Boxes drawn: 1" in body
    capped = notices.new_request_messages(
        request(), ["a@example.org"], queue_url="q", photo_url="p", hidden=False, capped=True
    )[0]
    assert "NOT hidden" in capped["Subject"] and "hourly limit" in capped.get_content()


def test_decision_message_only_with_an_address() -> None:
    assert notices.decision_message(request(email=None, decision=Decision.hide), privacy_url="p") is None
    message = notices.decision_message(
        request(email="me@example.org", decision=Decision.erase), privacy_url="http://x/privacy"
    )
    assert message is not None and message["To"] == "me@example.org"
    assert "erased" in message.get_content() and "30 days" in message.get_content()
    assert "zostało usunięte z galerii" in message.get_content() and "30 dni" in message.get_content()


def test_send_delivers_through_smtp_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    message = notices.decision_message(request(email="me@example.org", decision=Decision.restore), privacy_url="p")
    assert message is not None
    assert notices.send(ConsentSettings(), [message]) == 0  # no SMTP URL: nothing is sent
    with smtp_sink() as sink:
        settings = ConsentSettings(smtp_url=sink.url, mail_from="gallery@example.org")
        assert notices.send(settings, [message]) == 1
    assert [(m["To"], m["From"], m["X-Envelope-To"]) for m in sink.messages] == [
        ("me@example.org", "gallery@example.org", "me@example.org")
    ]
    down = ConsentSettings(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    with caplog.at_level(logging.ERROR, logger="gallery.consent.notices"):
        assert (
            notices.send(
                down,
                [notices.decision_message(request(email="x@example.org", decision=Decision.hide), privacy_url="p")],
            )
            == 0
        )
    assert "could not send 1 takedown notice" in caplog.text
