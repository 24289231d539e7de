"""Every API error as JSON: ``{"error": "<one line to read>", "detail": <the message, or messages per parameter>}``."""

from http import HTTPStatus

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with the body reshaped; errors it does not handle stay 500s (and are logged)."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    response.data = {"error": f"{HTTPStatus(response.status_code).phrase}: {summary(detail)}", "detail": detail}
    return response


def summary(detail):
    """One line from DRF's detail: a message, a list of them, or messages by parameter name."""
    if isinstance(detail, dict):
        return " ".join(f"{name}: {summary(messages)}" for name, messages in detail.items())
    if isinstance(detail, list):
        return " ".join(summary(message) for message in detail)
    return str(detail)
