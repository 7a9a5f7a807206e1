"""A marker for text that is translated later, at the boundary, in the reader's language.

Domain code stays free of Flask: it marks English source text with `N_` so that `pybabel extract`
finds it, and views or error handlers translate it with `gettext` when a request is being served.
"""


def N_(message: str) -> str:
    """Mark `message` for extraction; return it unchanged."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction; translated with the count in `%(count)d`."""
    return singular, plural
