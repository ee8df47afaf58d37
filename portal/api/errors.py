"""Errors under /api/: one JSON shape for every status, from DRF views and from Django alike.

    {"error": {"status": 400, "code": "invalid", "message": "…", "parameters": {"topic": ["…"]}}}

``parameters`` is present for invalid query parameters and names each one with its reasons.
DRF's errors pass through ``exception_handler``; ``ApiErrorMiddleware`` turns Django's own
responses under /api/ (an unknown URL, an uncaught exception) into the same shape.
"""

import logging

from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

MESSAGES = {
    400: "The request is not valid.",
    401: "Authentication is required.",
    403: "You may not do this.",
    404: "Nothing is here.",
    405: "This method is not allowed here. The API is read-only: use GET.",
    406: "The API cannot answer in the format asked for.",
    429: "Too many requests.",
    500: "Something went wrong on our side. Please try again later.",
}


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="What went wrong, in a sentence.")
    parameters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For an invalid request: each offending query parameter with its reasons.",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error response under /api/."""

    error = ErrorDetailSerializer()


def error_body(status_code, code, message, parameters=None):
    error = {"status": status_code, "code": code, "message": message}
    if parameters is not None:
        error["parameters"] = parameters
    return {"error": error}


def _messages(value):
    """The messages of one parameter's errors: a list of them, or (a list parameter such as
    ``kind``) the errors of its items by position."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def _flatten(detail):
    """A DRF ValidationError's detail as {parameter: [messages]}."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def exception_handler(exc, context):
    """DRF's handler, with every error in the one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such record, or you may not see it.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: ApiErrorMiddleware answers 500 in the same shape
    if isinstance(exc, exceptions.ValidationError):
        parameters = _flatten(exc.detail)
        first = next(iter(parameters.items()))
        message = f"Invalid value for {first[0]}: {first[1][0]}" if first[0] != "non_field_errors" else first[1][0]
        response.data = error_body(response.status_code, "invalid", message, parameters)
    else:
        detail = getattr(exc, "detail", None)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message = str(detail) if detail else MESSAGES.get(response.status_code, "Error.")
        response.data = error_body(response.status_code, str(code), message)
    return response


def json_error(status_code, code=None, message=None, headers=None):
    response = JsonResponse(
        error_body(
            status_code,
            code or {404: "not_found", 405: "method_not_allowed", 500: "server_error"}.get(status_code, "error"),
            message or MESSAGES.get(status_code, "Error."),
        ),
        status=status_code,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ApiErrorMiddleware:
    """Under /api/, answer Django's own error pages (404 for an unknown address, 405, 500) in the
    API's JSON shape; everything else passes through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(("application/json", "application/problem", "application/taxii+json")):
            return response  # TAXII errors are TAXII error messages (portal/api/taxii.py)
        if getattr(response, "streaming", False):
            return response
        headers = {name: response[name] for name in ("Allow", "Retry-After") if response.has_header(name)}
        return json_error(response.status_code, headers=headers)

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, Http404):
            return json_error(status.HTTP_404_NOT_FOUND)
        logger.exception("Unhandled error in %s", request.path, exc_info=exception)
        return json_error(status.HTTP_500_INTERNAL_SERVER_ERROR)
