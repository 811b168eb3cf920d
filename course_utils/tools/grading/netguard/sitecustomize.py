"""Network guard: put this folder on PYTHONPATH and every Python process (notebook kernels
included) refuses outbound connections and name look-ups that are not local, and appends each
attempt to the file named by $COURSE_NETGUARD_LOG.

A Python-level guard only (``_socket`` or ``ctypes`` get round it). When grading, the kernel's
own network namespace (:mod:`course_utils.tools.grading.sandbox`) is what blocks; the guard is
kept there to *report* attempts, even those the student's code catches and silences."""

import os
import socket

_LOG = os.environ.get("COURSE_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "::1", "0.0.0.0", ""}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host)
    return host in _LOCAL_NAMES or host.startswith("127.") or host.startswith("::ffff:127.")


def _refuse(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network access blocked by the course network guard: {what}")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        _refuse(f"connect {address!r}")
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        _refuse(f"connect_ex {address!r}")
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_local(host):
        _refuse(f"getaddrinfo {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
