"""Unified social credit code (统一社会信用代码) per GB 32100-2015.

Layout (18 characters): registration authority (1), entity type (1), administrative division
code (6), organization code per GB 11714 (8 + its check character), and a final check character
over the first 17 characters.
"""

from __future__ import annotations

# GB 32100 drops I, O, Z, S and V to avoid confusion with digits and each other.
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(CODE_ALPHABET)}
_WEIGHTS = [pow(3, position, 31) for position in range(17)]

_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

USCC_LENGTH = 18


def uscc_check_character(first_17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code.

    Raises:
        ValueError: if the input is not 17 characters of the code alphabet.
    """
    if len(first_17) != 17 or any(char not in _VALUE for char in first_17):
        raise ValueError("expected 17 characters from the unified social credit code alphabet")
    remainder = (
        sum(_VALUE[char] * weight for char, weight in zip(first_17, _WEIGHTS, strict=True)) % 31
    )
    return CODE_ALPHABET[(31 - remainder) % 31]


def organization_check_character(first_8: str) -> str:
    """Return the GB 11714 check character of an 8-character organization code.

    Raises:
        ValueError: if the input is not 8 digits or capital letters.
    """
    if len(first_8) != 8 or any(char not in _ORG_ALPHABET for char in first_8):
        raise ValueError("expected 8 digits or capital letters")
    total = sum(
        _ORG_ALPHABET.index(char) * weight
        for char, weight in zip(first_8, _ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_problem(code: str) -> str | None:
    """Return why `code` is not a valid unified social credit code, or None when it is valid."""
    if len(code) != USCC_LENGTH:
        return "length"
    if any(char not in _VALUE for char in code):
        return "alphabet"
    if not code[2:8].isdigit():
        return "division"
    if uscc_check_character(code[:17]) != code[17]:
        return "check_character"
    return None


def normalize_uscc(code: str) -> str:
    """Strip spaces and dashes and upper-case, as people type codes copied from licences."""
    return "".join(code.split()).replace("-", "").upper()


def make_uscc(authority: str, entity_type: str, division: str, organization_base: str) -> str:
    """Build a valid code from its parts, computing both check characters.

    Raises:
        ValueError: if a part has the wrong length or alphabet.
    """
    if len(division) != 6 or not division.isdigit():
        raise ValueError("division code must be 6 digits")
    organization = organization_base + organization_check_character(organization_base)
    first_17 = authority + entity_type + division + organization
    return first_17 + uscc_check_character(first_17)
