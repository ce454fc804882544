"""Derivative URLs: the media route, or the public media URL when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from gallery.catalog.media_access import PUBLIC_MEDIA, MediaRight, media_signature
from gallery.config import ConfigError, load_settings
from gallery.http.media_urls import DerivativeUrls, derivative_url, media_clock
from gallery.models import Derivative
from tests.conftest import make_app

SHA = "ab" * 32
V = "0123456789abcdef"  # a media version


def test_without_a_public_media_url_the_route_serves_them(app: Flask) -> None:
    derivative = Derivative(key=f"derivatives/{SHA}/{V}/1024.jpg")
    with app.test_request_context("/"):
        assert derivative_url(derivative, PUBLIC_MEDIA) == f"/media/derivatives/{SHA}/{V}/1024.jpg"
        urls = DerivativeUrls(PUBLIC_MEDIA)
        assert urls(derivative) == derivative_url(derivative, PUBLIC_MEDIA)
        assert urls.for_key(f"derivatives/{SHA}/{V}/400.webp") == f"/media/derivatives/{SHA}/{V}/400.webp"


def test_with_a_public_media_url_the_cdn_serves_them(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m")
    derivative = Derivative(key=f"derivatives/{SHA}/{V}/2048.webp")
    with app.test_request_context("/"):
        assert derivative_url(derivative, PUBLIC_MEDIA) == f"https://cdn.example.org/m/derivatives/{SHA}/{V}/2048.webp"
        assert DerivativeUrls(PUBLIC_MEDIA)(derivative) == derivative_url(derivative, PUBLIC_MEDIA)


def test_other_albums_media_go_through_the_route_and_unlisted_ones_are_signed(tmp_path: Path) -> None:
    """Only a public album's media may be served by the CDN; an unlisted album's URLs carry the
    signature of its share link, never the token itself."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m")
    key = f"derivatives/{SHA}/{V}/1024.jpg"
    derivative = Derivative(key=key)
    signed = MediaRight(signed=True, share_token="the-share-token")
    with app.test_request_context("/"):
        assert derivative_url(derivative, MediaRight()) == f"/media/derivatives/{SHA}/{V}/1024.jpg"
        clock = media_clock()
        assert clock.ttl == 3600 and clock.secret == app.config["SECRET_KEY"]
        url = derivative_url(derivative, signed, clock)
        sig = media_signature(clock.secret, key, clock.expires, "the-share-token")
        assert url == f"/media/derivatives/{SHA}/{V}/1024.jpg?exp={clock.expires}&sig={sig}"
        assert "the-share-token" not in url
        urls = DerivativeUrls(signed)
        assert urls(derivative) == derivative_url(derivative, signed, urls.clock)
        assert DerivativeUrls(MediaRight())(derivative) == derivative_url(derivative, MediaRight())


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "1.5"])
def test_the_private_media_ttl_is_a_positive_number_of_seconds(tmp_path: Path, raw: str) -> None:
    env = {"GALLERY_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="GALLERY_PRIVATE_MEDIA_TTL"):
        load_settings({**env, "GALLERY_PRIVATE_MEDIA_TTL": raw})
    assert load_settings({**env, "GALLERY_PRIVATE_MEDIA_TTL": "5"}).private_media_ttl == 5
    assert load_settings(env).private_media_ttl == 3600
    assert load_settings(env).describe()["GALLERY_PRIVATE_MEDIA_TTL"] == "3600"


def test_the_cdn_purge_names_every_public_url_of_a_key(tmp_path: Path) -> None:
    from gallery.http.media_urls import cdn_purge
    from gallery.photos.versions import NO_PURGE

    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'g.db'}",
        GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m",
        GALLERY_BASE_URL="https://photos.example.org",
        GALLERY_CDN_PURGE_URL="https://purge.example.org/hook",
    )
    key = f"derivatives/{SHA}/{V}/400.jpg"
    expected = [f"https://photos.example.org/media/{key}", f"https://cdn.example.org/m/{key}"]
    with app.test_request_context("/", base_url="https://photos.example.org"):
        purge = cdn_purge()
        assert purge.endpoint == "https://purge.example.org/hook"
        assert purge.urls([key]) == expected
    with app.app_context():  # a command or a task: from the base URL
        assert cdn_purge().urls([key]) == expected
    with make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}").test_request_context("/"):
        assert cdn_purge() is NO_PURGE  # no hook: nothing is sent
