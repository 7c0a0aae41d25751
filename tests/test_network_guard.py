import socket

import pytest


def test_outside_address_is_refused_in_tests():
    with pytest.raises((ConnectionRefusedError, OSError)):
        socket.create_connection(("93.184.216.34", 443), timeout=1)


def test_outside_hostname_is_not_resolved_in_tests():
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.github.com", 443)


def test_loopback_is_allowed_in_tests():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()


def test_child_processes_started_by_tests_are_guarded_too():
    import subprocess
    import sys

    code = "import socket\ntry:\n    socket.getaddrinfo('api.github.com', 443)\nexcept socket.gaierror as e:\n    print('blocked', e)"
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30).stdout
    assert out.startswith("blocked") and "only 127.0.0.1" in out
