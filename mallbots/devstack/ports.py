from __future__ import annotations

import random
import socket
from pathlib import Path

# Below the kernel's ephemeral range, a port is handed out only to a server that asks for it by number; inside
# it, any outgoing connection may take it at any moment. Linux's default range starts here.
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_LOW = 32768
_LOWEST = 20000


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (there is a small race; callers start servers right away)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def reserved_socket(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to a free port and kept: nobody else can be given that port until it is closed or
    served on (``uvicorn.Server.serve(sockets=[...])``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def _ephemeral_low() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def free_port_run(count: int, host: str = "127.0.0.1", tries: int = 200) -> int:
    """The first of ``count`` consecutive ports that are free now, chosen below the ephemeral range, so no
    outgoing connection can take one of them before the servers that were given them bind."""
    high = max(_ephemeral_low(), _LOWEST + count + 1)
    for _ in range(tries):
        first = random.randrange(_LOWEST, high - count)
        if all(port_is_free(port, host) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports on {host} in [{_LOWEST}, {high})")
