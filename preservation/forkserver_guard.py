"""Imported by the forkserver only, before whatever it preloads (`workers.GUARD`): the forkserver dies
with the process that started it. Its workers then die with it (they ask for that too, see `workers`);
without this it would live until its last worker noticed, and a worker busy in C code notices late."""

from preservation.workers import die_with_parent

die_with_parent()
