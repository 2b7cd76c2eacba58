"""Run a call as an unprivileged user, to test what permissions deny.

Tests run as root in CI, and root reads every file whatever its mode; so the call runs in a forked child
that has given up root. The caller loads the modules the child needs first, while they may still be read;
the `open_tmp` fixture (tests/conftest.py) is a folder the child may use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

NOBODY = 65534


def run_unprivileged(call: Callable[[], Any]) -> Any:
    """`call()` in a forked child that has given up root; its result must be JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            os.write(write, json.dumps(call()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    return json.loads(data)
