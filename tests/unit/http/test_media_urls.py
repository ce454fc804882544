"""Derivative URLs: the media route, or the public media URL when there is one."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from gallery.http.media_urls import DerivativeUrls, derivative_url
from gallery.models import Derivative
from tests.conftest import make_app

SHA = "ab" * 32


def test_without_a_public_media_url_the_route_serves_them(app: Flask) -> None:
    derivative = Derivative(key=f"derivatives/{SHA}/1024.jpg")
    with app.test_request_context("/"):
        assert derivative_url(derivative) == f"/media/derivatives/{SHA}/1024.jpg"
        urls = DerivativeUrls()
        assert urls(derivative) == derivative_url(derivative)
        assert urls.for_key(f"derivatives/{SHA}/400.webp") == f"/media/derivatives/{SHA}/400.webp"


def test_with_a_public_media_url_the_cdn_serves_them(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/m")
    derivative = Derivative(key=f"derivatives/{SHA}/2048.webp")
    with app.test_request_context("/"):
        assert derivative_url(derivative) == f"https://cdn.example.org/m/derivatives/{SHA}/2048.webp"
        assert DerivativeUrls()(derivative) == derivative_url(derivative)
