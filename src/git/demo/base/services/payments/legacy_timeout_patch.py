"""Process-wide socket timeout, from before the client set its own.

The old worker entry point imports this module for its side effect. Keep
it until every caller passes an explicit timeout (PAY-412): without it a
hung provider connection blocks a worker forever.
"""

import socket

DEFAULT_SOCKET_TIMEOUT = 10.0


def install() -> None:
    """Sets the default timeout of every new socket in this process."""
    if socket.getdefaulttimeout() is None:
        socket.setdefaulttimeout(DEFAULT_SOCKET_TIMEOUT)


install()
