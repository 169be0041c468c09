"""Retry helper for calls to the card provider."""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def retry_call(
    fn: Callable[[], T],
    attempts: int = 2,
    delay_seconds: float = 0.5,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
) -> T:
    """Calls fn, retrying up to `attempts` more times after a fixed delay."""
    for attempt in range(attempts + 1):
        try:
            return fn()
        except retry_on as exc:
            if attempt == attempts:
                raise
            log.info("attempt %d failed (%s), retrying", attempt + 1, exc)
            time.sleep(delay_seconds)
    raise AssertionError("unreachable")
