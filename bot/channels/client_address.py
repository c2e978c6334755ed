"""The network address a request comes from, for the per-address rate limit (bot/channels/guard.py).

The connection's own address is the client's, unless it is one of TRUSTED_PROXIES (addresses or
networks, separated by commas or spaces): then the client is the right-most X-Forwarded-For entry
that is not itself a trusted proxy. Entries further left are whatever the client wrote, so they
are never believed, and a client that is not behind a trusted proxy cannot name an address at all."""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(setting: str | None) -> tuple[Network, ...]:
    networks = []
    for item in re.split(r"[\s,]+", setting or ""):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SystemExit(
                f"TRUSTED_PROXIES: {item!r} is not an IP address or network "
                "(for example 10.0.0.5 or 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _trusted(address: str, proxies: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    chain = [a.strip() for a in (forwarded_for or "").split(",") if a.strip()] + [peer]
    for address in reversed(chain):
        if not _trusted(address, proxies):
            return address
    return chain[0]  # every hop a trusted proxy: the first one is as near as we get
