"""Shared fixtures: the default profile, the bundled samples, the seed release when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.profile import Profile, load_profile

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(ROOT / "profiles" / "state-archive.yaml")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES
