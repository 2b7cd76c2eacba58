"""The defaults of fixity's options, apart from the modules that use them: the command line shows them in
`--help` and reading them loads nothing else, so that a command's start-up pays only for what it uses."""

from __future__ import annotations

from datetime import timedelta

DEFAULT_PERIOD = timedelta(days=90)
"""A bag is due when its last check is older than this (also what `status` counts as overdue)."""
DEFAULT_ZONE = "Europe/Berlin"
"""The site's time zone, in which reports and mails give times."""
