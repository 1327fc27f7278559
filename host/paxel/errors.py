"""paxel's exception tree and its append-only error codes.

Every failure that crosses a boundary (CLI exit status, native message, service event) is a
PaxelError carrying one ErrorCode. Codes are only ever appended: the extension, scripts and
docs/protocol.md depend on their numbers.

    PaxelError
     ├── UsageError            bad arguments or bad input from a caller
     ├── NetworkError          connection refused/dropped/timed out after retries
     ├── HTTPStatusError       the server answered with an error status
     ├── ServerMisbehaved      a reply that cannot be trusted (wrong Content-Range, size changed)
     ├── ChecksumMismatch      the bytes do not match the expected digest
     ├── DiskError             cannot write, disk full, unwritable folder
     ├── Cancelled             the user cancelled
     └── ProtocolError         a malformed or unknown message on the browser/service wire
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ErrorCode(IntEnum):
    """Append only. Values 1-9 double as CLI exit statuses (0 is success)."""

    INTERNAL = 1
    USAGE = 2
    NETWORK = 3
    HTTP_STATUS = 4
    CHECKSUM_MISMATCH = 5
    DISK = 6
    CANCELLED = 7
    SERVER_MISBEHAVED = 8
    # Wire protocol (native messaging and service IPC).
    BAD_FRAME = 20
    MESSAGE_TOO_LARGE = 21
    BAD_UTF8 = 22
    BAD_JSON = 23
    NOT_AN_OBJECT = 24
    UNKNOWN_TYPE = 25
    BAD_FIELD = 26
    BAD_URL = 27
    FOLDER_NOT_ALLOWED = 28
    NOT_FOUND = 29
    BAD_STATE = 30
    UNAUTHORIZED = 31
    CALLER_NOT_ALLOWED = 32
    SERVICE_UNAVAILABLE = 33
    NO_DISPLAY = 34
    NOT_INSTALLED = 35
    STALE = 36


class PaxelError(Exception):
    """Base of every error paxel reports; `code` says which kind for machines."""

    code: ErrorCode = ErrorCode.INTERNAL
    part_path: Path | None = None   # set by the engine: the `.part` a failed download left behind
    unit_url: str | None = None     # set by the engine's UnitJob: the unit whose fetch failed

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code.name

    @property
    def exit_status(self) -> int:
        """The CLI exit status: the code when it is one of 1-9, else 1."""
        return int(self.code) if self.code < 10 else 1


class UsageError(PaxelError):
    code = ErrorCode.USAGE


class NetworkError(PaxelError):
    code = ErrorCode.NETWORK


class HTTPStatusError(PaxelError):
    code = ErrorCode.HTTP_STATUS

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ServerMisbehaved(PaxelError):
    code = ErrorCode.SERVER_MISBEHAVED


class ChecksumMismatch(PaxelError):
    code = ErrorCode.CHECKSUM_MISMATCH


class DiskError(PaxelError):
    code = ErrorCode.DISK


class Cancelled(PaxelError):
    code = ErrorCode.CANCELLED


class ProtocolError(PaxelError):
    """A message that cannot be accepted; `code` is one of the wire codes (20+)."""

    code = ErrorCode.BAD_FIELD
