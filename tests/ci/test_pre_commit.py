"""The `validate-bags` hook of .pre-commit-hooks.yaml, run by the real pre-commit in a throwaway repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci.conftest import ROOT, bags_repo, git


def _pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_the_hook_manifest_is_valid(ci_env: dict[str, str]) -> None:
    done = _pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=ROOT, env=ci_env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="try-repo needs this checkout to be a git repository"
)
def test_the_hook_validates_each_changed_bag_once(tmp_path: Path, ci_env: dict[str, str]) -> None:
    env = dict(ci_env, PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_CONFIG_GLOBAL="/dev/null")
    repo = bags_repo(tmp_path / "repo")
    git(repo, "init", "-q", env=env)
    git(repo, "add", "bags/bad", "README.md", env=env)  # staged: both payload files of the bad bag
    done = _pre_commit("try-repo", str(ROOT), "validate-bags", cwd=repo, env=env)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert out.count("bags/bad (directory): INVALID") == 1
    assert "bags/good" not in out  # not staged, not validated
    assert "1 bag: 0 valid, 0 valid with warnings, 1 invalid" in out

    git(repo, "reset", "-q", env=env)
    git(repo, "add", "bags/good", "README.md", env=env)
    done = _pre_commit("try-repo", str(ROOT), "validate-bags", cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
