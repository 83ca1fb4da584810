"""Music industry identifiers: ISRC, ISWC, IPI name and base numbers.

Each ``normalise_*`` function accepts the usual printed forms (hyphens, dots, spaces, lower
case), checks the syntax and the check digits, and returns the canonical form; a bad code
raises ``ValueError`` with the reason in words.

- ISRC (ISO 3901): 12 characters ``CC XXX YY NNNNN``: a two-letter country code, a
  three-character alphanumeric registrant code, the two-digit year of reference and a
  five-digit designation. No check digit. Canonical form: ``CCXXXYYNNNNN``.
- ISWC (ISO 15707): ``T`` + 9 digits + a check digit C with S = 1 + sum(i * d_i) over
  i = 1..9 and C = (10 - S mod 10) mod 10. Canonical form: ``T-034.524.680-1``.
- IPI name number (CISAC): 11 digits; the last two are the check: S = sum((10 - k) * d_k)
  over the first nine digits (k = 0..8), and check = 0 if S mod 101 is 0, else
  (101 - S mod 101) mod 100. Canonical form: the 11 digits.
- IPI base number (CISAC): ``I-NNNNNNNNN-C``: C = (10 - (2 + sum(i * d_i)) mod 10) mod 10
  over the nine digits (i = 1..9); this reproduces published base numbers such as
  I-001068130-6. Canonical form: ``I-001068130-6``.
"""

from __future__ import annotations

import re

_ISRC = re.compile(r"^([A-Z]{2})([A-Z0-9]{3})(\d{2})(\d{5})$")


def _compact(code: str) -> str:
    return re.sub(r"[\s.\-]", "", str(code)).upper()


def normalise_isrc(code: str) -> str:
    """Canonical ISRC (``CCXXXYYNNNNN``), or ValueError."""
    compact = _compact(code)
    if len(compact) != 12:
        raise ValueError(f"ISRC {code!r} has {len(compact)} characters, needs 12 (CC-XXX-YY-NNNNN)")
    if not _ISRC.match(compact):
        raise ValueError(f"ISRC {code!r} is not CC-XXX-YY-NNNNN (2 letters, 3 letters or digits, 2 + 5 digits)")
    return compact


def _weighted_mod10(digits: str, start: int) -> int:
    """(10 - (start + sum(i * d_i)) mod 10) mod 10 over the digits, i from 1: the check digit
    of ISWCs (start 1) and IPI base numbers (start 2)."""
    total = start + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return (10 - total % 10) % 10


def iswc_check_digit(digits: str) -> int:
    """The ISWC check digit of nine digits."""
    return _weighted_mod10(digits, 1)


def _lettered(code: str, letter: str, what: str, check_digit) -> tuple[str, int]:
    """The nine digits and the check digit of ``letter`` + 10 digits, checked."""
    compact = _compact(code)
    if not re.fullmatch(rf"{letter}\d{{10}}", compact):
        raise ValueError(f"{what} {code!r} is not {letter} followed by 10 digits")
    body, check = compact[1:10], int(compact[10])
    if check_digit(body) != check:
        raise ValueError(f"{what} {code!r} has a wrong check digit (expected {check_digit(body)})")
    return body, check


def normalise_iswc(code: str) -> str:
    """Canonical ISWC (``T-DDD.DDD.DDD-C``), or ValueError."""
    body, check = _lettered(code, "T", "ISWC", iswc_check_digit)
    return f"T-{body[:3]}.{body[3:6]}.{body[6:]}-{check}"


def ipi_name_check(digits: str) -> int:
    """The two check digits (as a number 0..99) of the first nine digits of an IPI name number."""
    total = sum((10 - k) * int(d) for k, d in enumerate(digits))
    rest = total % 101
    return 0 if rest == 0 else (101 - rest) % 100


def normalise_ipi_name(code: str) -> str:
    """Canonical IPI name number (11 digits), or ValueError."""
    compact = _compact(code)
    if not re.fullmatch(r"\d{11}", compact):
        raise ValueError(f"IPI name number {code!r} is not 11 digits")
    if ipi_name_check(compact[:9]) != int(compact[9:]):
        raise ValueError(f"IPI name number {code!r} has wrong check digits (expected {ipi_name_check(compact[:9]):02d})")
    return compact


def ipi_base_check_digit(digits: str) -> int:
    """The check digit of the nine digits of an IPI base number."""
    return _weighted_mod10(digits, 2)


def normalise_ipi_base(code: str) -> str:
    """Canonical IPI base number (``I-NNNNNNNNN-C``), or ValueError."""
    body, check = _lettered(code, "I", "IPI base number", ipi_base_check_digit)
    return f"I-{body}-{check}"
