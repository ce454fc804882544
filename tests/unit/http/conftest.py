"""Fixtures of the tests of gallery/http."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture
def gallery_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The "gallery" logger does not propagate to the root logger (it has its own handler),
    so hand pytest's capturing handler to it directly.  (After ``app``: create_app sets the
    logger's level from GALLERY_LOG_LEVEL.)"""
    logger = logging.getLogger("gallery")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="gallery"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)
