"""Logging set-up."""

from __future__ import annotations

import json
import logging
import sys
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


def test_json_format_makes_each_record_one_json_object(gallery_logger: logging.Logger) -> None:
    gallery_logger.handlers[:] = []
    configure_logging("INFO", "json")
    record = logging.LogRecord("gallery.request", logging.INFO, __file__, 1, "GET %s", ("/a\nb",), None)
    record.request_id = "abcdef12"
    record.status = 200
    line = gallery_logger.handlers[0].format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "INFO" and parsed["logger"] == "gallery.request"
    assert parsed["message"] == "GET /a\nb"
    assert parsed["request_id"] == "abcdef12" and parsed["status"] == 200
    assert "time" in parsed


def test_json_format_carries_the_exception(gallery_logger: logging.Logger) -> None:
    gallery_logger.handlers[:] = []
    configure_logging("INFO", "json")
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("gallery.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    parsed = json.loads(gallery_logger.handlers[0].format(record))
    assert "ValueError: broken" in parsed["exception"]


def test_the_format_follows_the_latest_call(gallery_logger: logging.Logger) -> None:
    gallery_logger.handlers[:] = []
    configure_logging("INFO", "json")
    configure_logging("INFO", "text")
    record = logging.LogRecord("gallery.tasks", logging.INFO, __file__, 1, "plain", (), None)
    assert gallery_logger.handlers[0].format(record).endswith(" INFO gallery.tasks: plain")
