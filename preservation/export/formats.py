"""The formats `export` delivers, by name: one module per format, one entry here. Each checks its options
before anything is shown or written (`check`, ExportError) and exports (`run`) with the same validation of
every bag first (`admission`).

- `bagit`: each bag serialized as tar, tar.gz or zip (`export.api`), the default.
- `xdomea`: xdomea 0503 containers, one per year of issue (`export.xdomea`).
- `eark-sip`: E-ARK SIPs (CSIP 2.1, SIP 2.1), one per bag (`export.eark`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from preservation.export.api import ExportError, ExportResult, Outcome, choose_serialization, export_bags
from preservation.profile import Profile

DEFAULT = "bagit"


@dataclass(frozen=True)
class ExportOptions:
    """Options of one format or another; setting one that the chosen format does not take is an error."""

    serialization: str | None = None
    """bagit: tar, tar.gz or zip (default: the profile's)."""
    xdomea_version: str | None = None
    """xdomea: 3.0.0 or 3.1.0 (default: the profile's)."""


@dataclass(frozen=True)
class ExportFormat:
    name: str
    options: tuple[str, ...]
    """The `ExportOptions` fields it takes."""
    check: Callable[[Profile, ExportOptions], None]
    run: Callable[
        [
            Sequence[Path],
            Path,
            Profile,
            ExportOptions,
            Mapping[str, str] | None,
            Callable[[Outcome], None] | None,
            int,
        ],
        ExportResult,
    ]


def _check_bagit(profile: Profile, options: ExportOptions) -> None:
    choose_serialization(profile, options.serialization)


def _run_bagit(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    options: ExportOptions,
    environ: Mapping[str, str] | None,
    on_progress: Callable[[Outcome], None] | None,
    jobs: int,
) -> ExportResult:
    return export_bags(bags, out_dir, profile, options.serialization, environ, on_progress, jobs=jobs)


def _check_xdomea(profile: Profile, options: ExportOptions) -> None:
    from preservation.export.xdomea.api import choose_version

    choose_version(profile, options.xdomea_version)


def _run_xdomea(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    options: ExportOptions,
    environ: Mapping[str, str] | None,
    on_progress: Callable[[Outcome], None] | None,
    jobs: int,
) -> ExportResult:
    from preservation.export.xdomea.api import export_xdomea

    return export_xdomea(bags, out_dir, profile, options.xdomea_version, environ, on_progress, jobs=jobs)


def _check_eark(profile: Profile, options: ExportOptions) -> None:
    """Takes no options."""


def _run_eark(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    options: ExportOptions,
    environ: Mapping[str, str] | None,
    on_progress: Callable[[Outcome], None] | None,
    jobs: int,
) -> ExportResult:
    from preservation.export.eark.api import export_eark

    return export_eark(bags, out_dir, profile, environ, on_progress, jobs=jobs)


FORMATS: dict[str, ExportFormat] = {
    "bagit": ExportFormat("bagit", ("serialization",), _check_bagit, _run_bagit),
    "xdomea": ExportFormat("xdomea", ("xdomea_version",), _check_xdomea, _run_xdomea),
    "eark-sip": ExportFormat("eark-sip", (), _check_eark, _run_eark),
}


def get_format(name: str, options: ExportOptions) -> ExportFormat:
    """The format `name`; ExportError for an unknown one, or an option set that it does not take."""
    chosen = FORMATS.get(name)
    if chosen is None:
        raise ExportError(None, f"unknown export format {name!r}; use one of {', '.join(FORMATS)}")
    for option, value in vars(options).items():
        if value is not None and option not in chosen.options:
            flag = "--" + option.replace("_", "-")
            raise ExportError(None, f"{flag} does not apply to --format {name}")
    return chosen


def export(
    name: str,
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    options: ExportOptions = ExportOptions(),
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[Outcome], None] | None = None,
    *,
    jobs: int = 1,
) -> ExportResult:
    """Export `bags` into `out_dir` in format `name` (see FORMATS)."""
    chosen = get_format(name, options)
    chosen.check(profile, options)
    return chosen.run(bags, out_dir, profile, options, environ, on_progress, jobs)
