"""paxel.hangup.identity tells two sockets apart that got the same descriptor number one after
the other (a host's refused first address, then its second), with the platform as a parameter."""

from __future__ import annotations

import socket

from paxel.hangup import identity


def test_a_socket_that_got_a_closed_ones_number_is_another_socket() -> None:
    first = socket.socket()
    seen = identity(first, "linux")
    number = first.fileno()
    first.close()
    assert identity(first, "linux") is None   # closed
    with socket.socket() as second:
        assert second.fileno() == number   # (the lowest free number: the one just closed)
        assert identity(second, "linux") != seen
        assert identity(second, "linux") == identity(second, "linux")


def test_on_windows_a_socket_handle_is_no_file_its_number_is_its_identity() -> None:
    with socket.socket() as sock:
        assert identity(sock, "win32") == (sock.fileno(), 0)
