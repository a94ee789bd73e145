"""Send a ZooKeeper four-letter word (``ruok``, ``srvr``, ``mntr``, ...) over TCP."""

from __future__ import annotations

import socket

__all__ = ["four_letter", "parse_srvr"]


def four_letter(host: str, port: int, word: str, timeout: float = 5.0) -> str:
    """Return the server's whole answer to ``word``.

    Raises ``OSError`` when the server cannot be reached or does not answer in time.
    """
    if len(word) != 4 or not word.isascii():
        raise ValueError(f"a four-letter word has four ASCII letters, not {word!r}")
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(word.encode("ascii"))
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def parse_srvr(text: str) -> dict[str, str]:
    """``srvr``'s ``Key: value`` lines as a dict (empty when the server is not serving)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out
