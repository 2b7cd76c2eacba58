"""The one way this package starts worker processes.

Not fork: a parent may hold threads that a fork breaks (pygfried's Go runtime, tqdm's monitor). A
forkserver is started once per process, by the first pool, with the modules it preloads; so the list
names what every command's workers need, and a program that builds and then exports in one process
still gets workers that start ready instead of importing the package again (~0.5 s each).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = ("preservation.build", "preservation.export.admission")


def worker_context() -> BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context
