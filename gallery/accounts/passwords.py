"""The password rule, in one place: long enough, and not easy to guess (zxcvbn's estimate,
with what is known about the person as user inputs).  The reason given is zxcvbn's feedback."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from gallery.core.errors import ValidationError

MIN_LENGTH = 10
# zxcvbn scores 0-4; 3 means "safely unguessable: moderate protection from offline slow-hash
# attacks" (about 10^8 guesses and more).
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is superlinear); a password's first 72 characters
# decide, and anything that long and varied scores 4 anyway.
ZXCVBN_MAX = 72
FALLBACK_REASON = "Add another word or two. Uncommon words are better."

# zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time.
_lock = threading.Lock()


class WeakPasswordError(ValidationError):
    """The password is refused; ``reasons`` are zxcvbn's English sentences (message ids)."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message, field="password", code="weak_password")
        self.reasons = reasons


def user_inputs(*values: str | None) -> list[str]:
    """What a guesser knows about the person: each value, and an e-mail's local part and its words."""
    inputs: list[str] = []
    for value in values:
        if not value:
            continue
        inputs.append(value)
        local = value.rpartition("@")[0]
        if local:
            inputs.append(local)
            inputs.extend(word for word in re.split(r"[._+\-\s]+", local) if len(word) > 2)
        inputs.extend(word for word in value.split() if len(word) > 2)
    return list(dict.fromkeys(inputs))


def weak_password_reasons(password: str, inputs: Iterable[str] = ()) -> tuple[str, ...]:
    """Why this password is too easy to guess (zxcvbn's warning, then its suggestions), or ()."""
    # Imported here, when a password is set: its dictionaries are 12 MB in every process
    # (web workers, Celery workers, ``gallery import``), which seldom or never checks one.
    from zxcvbn import zxcvbn

    with _lock:
        result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=list(inputs))
    if result["score"] >= MIN_SCORE:
        return ()
    feedback = result["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"]]
    return tuple(dict.fromkeys(r for r in reasons if r)) or (FALLBACK_REASON,)


def check_password(password: str, inputs: Iterable[str] = ()) -> None:
    """Raise :class:`WeakPasswordError` unless the password is long enough and hard to guess."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"the password must have at least {MIN_LENGTH} characters")
    reasons = weak_password_reasons(password, inputs)
    if reasons:
        raise WeakPasswordError("the password is too easy to guess: " + " ".join(reasons), reasons)
