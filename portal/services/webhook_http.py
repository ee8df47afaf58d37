"""Sending one webhook request: the address rules and the signature (``portal.services.webhooks``
decides what is sent and when).

An endpoint must be ``https://`` and its host must resolve to public addresses only (not loopback,
private, link-local or otherwise reserved), checked when it is registered and again at each
attempt, connecting to the address that was checked so that a second lookup cannot steer the
request elsewhere. ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` lifts the address rule (tests, a closed
network); ``WEBHOOKS_CA_FILE`` adds a certificate authority. Redirects are not followed.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import urllib.parse

from django.conf import settings


class EndpointRefused(ValueError):
    """An address the portal will not send to; the message is for the person registering it."""


def _allow_private():
    return getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)


def check_url(url):
    """``(host, port, path)`` of an endpoint address, or ``EndpointRefused`` saying what is wrong."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise EndpointRefused("This is not a valid web address.") from None
    if parts.scheme != "https":
        raise EndpointRefused("The address must start with https:// (webhooks are sent over HTTPS only).")
    if not parts.hostname:
        raise EndpointRefused("The address has no host name.")
    if parts.username or parts.password:
        raise EndpointRefused("Leave the user name and password out of the address; the signature proves the sender.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port, path


def resolve(host, port):
    """The address to connect to for ``host``: refused if any address it resolves to is not public
    (a host with one private address could be steered to it), unless private addresses are allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise EndpointRefused(f"The host name {host} does not resolve.") from None
    addresses = [info[4][0] for info in found]
    if not _allow_private():
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise EndpointRefused(
                    f"{host} resolves to {ip}, a loopback, private, link-local or reserved address; "
                    "webhooks are sent to public addresses only."
                )
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to an address already checked, with the certificate checked for the
    host name (the address is not resolved a second time, so it cannot change in between)."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _tls_context():
    context = ssl.create_default_context()
    extra = getattr(settings, "WEBHOOKS_CA_FILE", "")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def post(url, body, headers):
    """POST ``body`` (bytes) to ``url``; returns the status code, or raises ``EndpointRefused`` for
    an address the portal will not send to or ``OSError`` when the request fails."""
    host, port, path = check_url(url)
    address = resolve(host, port)
    timeout = getattr(settings, "WEBHOOK_TIMEOUT", 10)
    connection = _PinnedHTTPSConnection(host, port, address, timeout=timeout, context=_tls_context())
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        if 300 <= response.status < 400:
            where = response.getheader("Location", "")
            raise OSError(f"answered {response.status} redirecting to {where[:200]}; webhooks do not follow redirects")
        return response.status
    finally:
        connection.close()


def signature(secret, body, timestamp):
    """The ``Portal-Signature`` header of ``body`` (bytes) sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
