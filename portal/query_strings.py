"""How the site and the API read a query-string parameter that holds several values."""

from collections.abc import Iterable


def several(values: Iterable[str]) -> list[str]:
    """The values given as repeated parameters (``key=A&key=B``), comma-separated (``key=A,B``) or both:
    stripped, each once, in the order given."""
    return list(dict.fromkeys(part.strip() for value in values for part in value.split(",") if part.strip()))
