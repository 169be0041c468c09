"""Retry with exponential backoff for calls to the card provider."""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def retry_call(
    fn: Callable[[], T],
    attempts: int = 2,
    delay_seconds: float = 0.5,
    max_delay_seconds: float = 8.0,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
) -> T:
    """Calls fn, retrying up to `attempts` more times with backoff."""
    for attempt in range(attempts + 1):
        try:
            return fn()
        except retry_on as exc:
            if attempt == attempts:
                raise
            # Full jitter: callers that failed together retry apart.
            delay = min(max_delay_seconds, delay_seconds * 2**attempt)
            log.info("attempt %d failed (%s), retrying", attempt + 1, exc)
            time.sleep(random.uniform(0, delay))
    raise AssertionError("unreachable")
