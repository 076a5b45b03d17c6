"""Which network addresses outgoing webhooks may reach (SSRF protection).

A webhook URL is checked when it is registered and again at every delivery, after DNS
resolution, and the connection goes to the very address that was checked: a host name that
resolved to a public address at registration and to 127.0.0.1 later (DNS rebinding) is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(Exception):
    """The target is not a public internet address (or cannot be resolved)."""


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    # is_global is False for loopback, private, link-local, shared (CGNAT), reserved and
    # documentation ranges; multicast can be "global" yet is never a webhook receiver.
    return address.is_global and not address.is_multicast


def webhook_host_port(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; ValueError naming what is wrong otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("url must start with https:// (or http://)")
    if not parts.hostname:
        raise ValueError("url has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("url must not contain a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise ValueError("url has an invalid port") from error
    return parts.hostname, port


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host name resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeAddress(f"{host} does not resolve") from error
    # The scope id of a link-local IPv6 answer ("fe80::1%eth0") is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_public(host: str, addresses: Iterable[IPAddress]) -> list[IPAddress]:
    """The addresses, if every one is public; UnsafeAddress naming the first that is not."""
    checked = list(addresses)
    if not checked:
        raise UnsafeAddress(f"{host} does not resolve")
    for address in checked:
        if not is_public(address):
            raise UnsafeAddress(
                f"{host} resolves to {address}, a loopback, private, link-local or multicast "
                "address; webhooks go to public internet addresses only"
            )
    return checked


async def public_addresses(host: str, port: int, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for host, all of them checked."""
    addresses = await resolve(host, port)
    if allow_private:
        if not addresses:
            raise UnsafeAddress(f"{host} does not resolve")
        return addresses
    return check_public(host, addresses)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses checked at connect time.

    httpcore still sends the original host name in the Host header and as the TLS server name,
    so certificates are verified against the name while the socket goes to the checked address.
    """

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check every address, connect to the first one that answers."""
        addresses = await public_addresses(host, port, self.allow_private)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failure:
                error = failure
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: webhooks go over TCP."""
        raise UnsafeAddress("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the inner backend does."""
        await self.inner.sleep(seconds)
