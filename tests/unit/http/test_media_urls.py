"""Derivative URLs: the media route, or the public media URL when there is one."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from gallery.catalog.media_access import PUBLIC_MEDIA, MediaRight, media_signature
from gallery.http.media_urls import DerivativeUrls, derivative_url
from gallery.models import Derivative
from tests.conftest import make_app

SHA = "ab" * 32


def test_without_a_public_media_url_the_route_serves_them(app: Flask) -> None:
    derivative = Derivative(key=f"derivatives/{SHA}/1024.jpg")
    with app.test_request_context("/"):
        assert derivative_url(derivative, PUBLIC_MEDIA) == f"/media/derivatives/{SHA}/1024.jpg"
        urls = DerivativeUrls(PUBLIC_MEDIA)
        assert urls(derivative) == derivative_url(derivative, PUBLIC_MEDIA)
        assert urls.for_key(f"derivatives/{SHA}/400.webp") == f"/media/derivatives/{SHA}/400.webp"


def test_with_a_public_media_url_the_cdn_serves_them(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m")
    derivative = Derivative(key=f"derivatives/{SHA}/2048.webp")
    with app.test_request_context("/"):
        assert derivative_url(derivative, PUBLIC_MEDIA) == f"https://cdn.example.org/m/derivatives/{SHA}/2048.webp"
        assert DerivativeUrls(PUBLIC_MEDIA)(derivative) == derivative_url(derivative, PUBLIC_MEDIA)


def test_other_albums_media_go_through_the_route_and_unlisted_ones_are_signed(tmp_path: Path) -> None:
    """Only a public album's media may be served by the CDN; an unlisted album's URLs carry the
    signature of its share link, never the token itself."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m")
    key = f"derivatives/{SHA}/1024.jpg"
    derivative = Derivative(key=key)
    signed = MediaRight(public=False, share_token="the-share-token")
    with app.test_request_context("/"):
        assert derivative_url(derivative, MediaRight()) == f"/media/derivatives/{SHA}/1024.jpg"
        url = derivative_url(derivative, signed)
        assert url == f"/media/derivatives/{SHA}/1024.jpg?sig={media_signature('the-share-token', key)}"
        assert "the-share-token" not in url
        assert DerivativeUrls(signed)(derivative) == url
        assert DerivativeUrls(MediaRight())(derivative) == derivative_url(derivative, MediaRight())
