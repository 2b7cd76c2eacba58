"""What the discovery and transfer tests plant: links, FIFOs and sockets, and a secret bag they lead to.

The secret is a valid bag outside every input whose payload holds a canary: following any link to it would
carry the canary into a report, a ledger or a transfer.
"""

from __future__ import annotations

import os
import signal
import stat
import tarfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from preservation.profile import load_profile
from tests.hostile.conftest import ROOT, Canary

ENV = {"SOURCE_DATE_EPOCH": "1700000000"}
GOOD_SOURCE = ROOT / "samples" / "2016-08-30-schulbeginn-crlf.txt"
SECRET_SOURCE = ROOT / "samples" / "2018-11-28-weihnachtsmarkt.txt"
KINDS = ("link-to-bag", "link-to-file", "link-to-zero", "dangling", "loop", "fifo", "socket")
"""What an attacker who may create files in a storage root can leave there."""


@dataclass(frozen=True)
class Secret:
    canary: Canary
    """The release the secret bag was built from; its bytes are the canary."""
    bag: Path
    """A valid bag folder outside every input holding the canary's bytes."""
    tar: Path
    """The same bag as a valid .tar."""


_ONCE: dict[str, Path | Secret] = {}
"""What `good_bag` and `secret_bag` made, kept for the session: both test modules use them, read only."""


def build(source: Path, out: Path) -> Path:
    from preservation.build import build_bags

    summary = build_bags([source], out, load_profile(None), environ=ENV)
    assert summary.ok
    (bag,) = [o.bag for o in summary.outcomes if o.bag is not None]
    return bag


def good_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid bag of ours, built once a session; copy it before changing anything."""
    if "good" not in _ONCE:
        _ONCE["good"] = build(GOOD_SOURCE, tmp_path_factory.mktemp("built"))
    found = _ONCE["good"]
    assert isinstance(found, Path)
    return found


def secret_bag(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    """The secret, made once a session."""
    if "secret" not in _ONCE:
        _ONCE["secret"] = _make_secret(tmp_path_factory)
    found = _ONCE["secret"]
    assert isinstance(found, Secret)
    return found


def _make_secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    outside = tmp_path_factory.mktemp("outside")
    content = f"CANARY-{uuid.uuid4()}-secret outside every input".encode()
    source = outside / "release.txt"
    source.write_bytes(SECRET_SOURCE.read_bytes() + b"\n" + content + b"\n")
    bag = build(source, outside / "bags")
    tar = outside / "secret.tar"
    with tarfile.open(tar, "w") as archive:
        archive.add(bag, arcname=bag.name)
    return Secret(Canary(source, content), bag, tar)


def plant(path: Path, kind: str, secret: Secret) -> None:
    """Leave an entry of `kind` at `path`; a link to a file leads to the secret tar, or from inside a
    payload folder to the secret release itself."""
    if kind == "link-to-bag":
        path.symlink_to(secret.bag, target_is_directory=True)
    elif kind == "link-to-file":
        path.symlink_to(secret.tar if path.parent.name != "data" else secret.canary.path)
    elif kind == "link-to-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dangling":
        path.symlink_to(path.parent / "nowhere")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        os.mknod(path, stat.S_IFSOCK | 0o600)
    else:
        raise AssertionError(kind)


@contextmanager
def deadline(seconds: float = 10) -> Iterator[None]:
    """A library call that blocks (a FIFO opened for reading) fails the test instead of hanging the suite.
    The alarm is sent to this thread: sent to the process, another thread (a pool's) may take it and
    leave the blocked call waiting."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.get_ident(), signal.SIGALRM))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGALRM, previous)
