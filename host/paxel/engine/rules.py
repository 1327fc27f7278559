"""The rules every request of a download obeys: which status is the body asked for, which is
retried (and after how long), which is final."""

from __future__ import annotations

import random
import time

from paxel.engine.shared import Reply, RetryableStatus, Shared, Stop
from paxel.errors import HTTPStatusError, NetworkError
from paxel.headers import parse_retry_after
from paxel.probe import FileChanged
from paxel.retry import retryable_status


def raise_status(reply: Reply, *, first_request: bool) -> None:
    """The error for a status that is not the body asked for: retryable, or final."""
    status = reply.status
    what = f"{reply.url} answered {status}"
    if retryable_status(status):
        raise RetryableStatus(what, status, parse_retry_after(reply.headers.get("Retry-After"), time.time()))
    if status in (401, 403):
        what += " (access denied: cookies or login missing or expired?)"
    elif status == 404:
        what += " (not found)"
    if not first_request and status == 416:
        raise FileChanged(f"{what}: the file got shorter on the server")
    raise HTTPStatusError(what, status=status)


def retry_or_raise(s: Shared, exc: NetworkError | RetryableStatus, failures: int) -> None:
    """Wait out the backoff (or the server's Retry-After) before try `failures + 1`; once the
    policy gives up, raise the final error naming the cause."""
    if s.stop.is_set():   # the failure is our own hang-up (pause, cancel): not the server's
        raise Stop
    policy = s.options.retry
    if policy.gives_up(failures):
        if isinstance(exc, RetryableStatus):
            raise HTTPStatusError(f"{exc.message} (gave up after {failures} tries)",
                                  status=exc.status) from None
        raise NetworkError(f"{exc} (gave up after {failures} tries)") from None
    delay = policy.delay(failures, random.random(),
                         exc.retry_after if isinstance(exc, RetryableStatus) else None)
    s.say(f"{exc}; retrying in {delay:.1f}s", retry=(failures, time.time() + delay))
    if s.stop.wait(delay):
        raise Stop
