"""Logging set-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from gallery.logs import configure_logging


@pytest.fixture
def gallery_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("gallery")
    saved = (logger.level, logger.handlers[:], logger.propagate)
    yield logger
    logger.level, logger.handlers[:], logger.propagate = saved[0], saved[1], saved[2]


def test_one_handler_per_process_and_the_latest_level(gallery_logger: logging.Logger) -> None:
    gallery_logger.handlers[:] = []
    configure_logging("DEBUG")
    configure_logging("WARNING")
    assert gallery_logger.level == logging.WARNING
    assert len(gallery_logger.handlers) == 1
    assert gallery_logger.propagate is False


def test_records_carry_time_level_and_logger(gallery_logger: logging.Logger) -> None:
    gallery_logger.handlers[:] = []
    configure_logging("INFO")
    formatted = gallery_logger.handlers[0].format(
        logging.LogRecord("gallery.tasks", logging.ERROR, __file__, 1, "could not queue %s", (7,), None)
    )
    assert formatted.endswith(" ERROR gallery.tasks: could not queue 7")
