"""What goes wrong with EPCIS reference data and captured documents, and the capture limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from core.errors import DomainError
from core.translatable import N_

# The whole body is held in memory and parsed into Python objects about ten times its size, so one
# capture must stay far below a worker's memory; 16 MiB holds ~10,000 rich events (1-2 KB each).
# The capture endpoint announces it as GS1-EPCIS-Capture-File-Size-Limit and refuses larger bodies
# before reading them (Flask's MAX_CONTENT_LENGTH); `parse_capture_body` checks it again.
MAX_DOCUMENT_BYTES: Final = 16 * 1024 * 1024
# One capture is validated in one go, stored in one transaction and hashed into one ledger batch;
# at ~1,000-2,000 events/s (bench/ledger_validation.py) 10,000 events take 5-10 s of one worker.
# Announced as GS1-EPCIS-Capture-Limit; a client with more events splits them into captures.
MAX_EVENTS: Final = 10_000
# EPCIS documents nest about a dozen levels (the official examples: 12); anything far deeper is
# a mistake or an attack on the recursive parts of the parser and the schema validator.
MAX_NESTING_DEPTH: Final = 32
# A document with thousands of bad events would yield a response as large as the document; the
# first errors are enough to fix the client, and the count says how many more there were.
MAX_REPORTED_PROBLEMS: Final = 50


class EpcisReferenceUnavailable(Exception):
    """The EPCIS schema or contexts cannot be read from the configured directory.

    A deployment fault, not bad input: the application cannot validate any capture without them.
    """


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a captured document: where (RFC 6901 JSON pointer) and what."""

    pointer: str
    detail: str

    def as_field_error(self) -> dict[str, Any]:
        """Return the `{pointer, in, detail}` entry of a problem+json `errors` list."""
        return {"pointer": self.pointer, "in": "json", "detail": self.detail}


class EpcisDocumentInvalid(DomainError):
    """The captured document is not a valid EPCIS 2.0 document; nothing of it is stored.

    400 rather than the usual 422: the EPCIS REST binding answers a capture that fails validation
    with 400 and `epcisException:ValidationException`, and EPCIS clients expect that.
    """

    status = 400
    code = "epcis-validation"
    message = N_("The EPCIS document is not valid; see errors for each field.")

    def __init__(self, problems: Iterable[Problem], *, truncated: bool = False) -> None:
        super().__init__()
        self.problems = tuple(problems)
        # More problems were found (or not looked for) than MAX_REPORTED_PROBLEMS shown.
        self.truncated = truncated

    def field_errors(self) -> list[dict[str, Any]]:
        """Return the problems as the `errors` list of a problem+json response."""
        return [problem.as_field_error() for problem in self.problems]

    def __str__(self) -> str:
        shown = "; ".join(f"{p.pointer or '(document)'} {p.detail}" for p in self.problems[:5])
        more = " …" if self.truncated or len(self.problems) > 5 else ""
        return f"invalid EPCIS document: {shown}{more}"


class EpcisDocumentTooLarge(DomainError):
    """The document exceeds the capture limits (`epcisException:CaptureLimitExceededException`)."""

    status = 413
    code = "epcis-capture-limit-exceeded"
    message = N_("The EPCIS document is too large to capture at once.")


def too_many_bytes(size: int) -> EpcisDocumentTooLarge:
    return EpcisDocumentTooLarge(
        N_("The EPCIS document has %(size)d bytes; one capture takes at most %(limit)d bytes."),
        size=size,
        limit=MAX_DOCUMENT_BYTES,
    )


def too_many_events(count: int) -> EpcisDocumentTooLarge:
    return EpcisDocumentTooLarge(
        N_("The EPCIS document has %(count)d events; one capture takes at most %(limit)d."),
        count=count,
        limit=MAX_EVENTS,
    )
