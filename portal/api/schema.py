"""The OpenAPI description: every operation also documents the errors it can answer."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from .errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "An invalid query parameter; the body names it and says why.",
    401: "A token was sent that is unknown, revoked or expired (send none to read as an anonymous caller).",
    404: "Nothing with this id, or something the caller may not see.",
    406: "An unknown ?format= value.",
    429: "Too many requests; retry after the number of seconds in the Retry-After header.",
}


class ApiAutoSchema(AutoSchema):
    def _is_list_view(self, serializer=None):
        # The change feed and search answer one object (results inside), not a list.
        if getattr(self.view, "answers_one_object", False):
            return False
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [400, 401, 406, 429]
        if "{" in self.path:
            codes.append(404)
        for code in codes:
            if str(code) not in responses:
                error = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[str(code)] = self._get_response_for_code(error, str(code), ["application/json"])
        return responses


def only_api(endpoints, **kwargs):
    """Describe this API only (not the Wagtail admin's internal endpoints)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def empty_means_absent(result, **kwargs):
    """Every query parameter may be sent empty (``?cursor=``), meaning the same as leaving it out
    (``portal.api.filters.query_data``); the schema says so with ``allowEmptyValue``."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """Partner API tokens (``portal/tokens.py``) in the schema: ``Authorization: Bearer <token>``."""

    target_class = "portal.tokens.PartnerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner API token: it sees what its owner may see. Without one, TLP:CLEAR only.",
        }
