"""The reading budget (gallery.media.metadata.limits)."""

from __future__ import annotations

import io
import time

import pytest

from gallery.media.metadata.limits import BudgetedReader, ReadBudget, ReadBudgetExceeded


def test_calls_are_counted_deterministically() -> None:
    budget = ReadBudget(time.monotonic() + 60, max_calls=3, max_bytes=100)
    for _ in range(3):
        budget.charge()
    with pytest.raises(ReadBudgetExceeded, match="more than 3 reads"):
        budget.charge()


def test_bytes_are_counted() -> None:
    budget = ReadBudget(time.monotonic() + 60, max_calls=100, max_bytes=10)
    budget.charge(10)
    assert budget.remaining_bytes() == 0
    with pytest.raises(ReadBudgetExceeded, match="more than 10 bytes"):
        budget.charge(1)


def test_the_deadline_is_checked_on_large_reads() -> None:
    budget = ReadBudget(time.monotonic() - 1, max_calls=100, max_bytes=1 << 30)
    budget.charge(10)  # small reads check the clock only every 64 calls
    with pytest.raises(ReadBudgetExceeded, match="time budget"):
        budget.charge(70_000)


def test_reader_caps_each_read_and_charges_seeks() -> None:
    budget = ReadBudget(time.monotonic() + 60, max_calls=100, max_bytes=8)
    reader = BudgetedReader(io.BytesIO(b"0123456789abcdef"), budget)
    assert reader.read(4) == b"0123"
    assert reader.seek(0) == 0 and reader.tell() == 0
    with pytest.raises(ReadBudgetExceeded):
        reader.read()  # asks for everything: gets at most the budget plus one byte, then stops
    assert reader.readable() and reader.seekable()


def test_readline_and_readinto() -> None:
    budget = ReadBudget(time.monotonic() + 60, max_calls=1000, max_bytes=1000)
    reader = BudgetedReader(io.BytesIO(b"line one\nline two"), budget)
    assert reader.readline() == b"line one\n"
    buffer = bytearray(4)
    assert reader.readinto(buffer) == 4 and bytes(buffer) == b"line"
