"""Imported at start-up by every Python process that has this folder on PYTHONPATH.

Refuses (and records in $NETGUARD_LOG) every socket connection and name lookup that
is not to the loopback interface: the tests prove the pretrained rung needs no network.
"""

import os
import sys

_LOOPBACK = {"127.0.0.1", "::1", "localhost", None}


def _record(what: str) -> None:
    with open(os.environ["NETGUARD_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {' '.join(sys.argv)[:200]}: {what}\n")


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address[0] not in _LOOPBACK:
            _record(f"connect {address!r}")
            raise OSError("network refused by the test's netguard")
    elif event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if host not in _LOOPBACK:
            _record(f"getaddrinfo {host!r}")
            raise OSError("name lookup refused by the test's netguard")


if os.environ.get("NETGUARD_LOG"):
    sys.addaudithook(_hook)
