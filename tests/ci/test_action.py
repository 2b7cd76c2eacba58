"""action.yml's steps run as a GitHub runner runs them (bash, the environment files it sets), and the
GitLab template's script as a GitLab runner runs it (sh, the job's variables)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from lxml import etree
from markdown_it import MarkdownIt

from tests.ci.conftest import ROOT, bags_repo
from tests.validate.conftest import make_good_bag

JUNIT_XSD = ROOT / "tests" / "validate" / "schemas" / "junit-10.xsd"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _evaluate(value: str, context: dict[str, str]) -> str:
    """The `${{ name }}` expressions the action uses, as the runner substitutes them."""
    return EXPRESSION.sub(lambda match: context[match.group(1)], value)


def _run_action(
    workspace: Path, inputs: dict[str, str], env: dict[str, str]
) -> tuple[int, str, dict[str, str]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, unknown
    given.update(inputs)
    runner = workspace.parent / "runner"
    runner.mkdir(exist_ok=True)
    files = {name: runner / name for name in ("summary.md", "output", "path")}
    for path in files.values():
        path.write_text("")
    env = dict(
        env,
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_ACTION_PATH=str(ROOT),
        GITHUB_STEP_SUMMARY=str(files["summary.md"]),
        GITHUB_OUTPUT=str(files["output"]),
        GITHUB_PATH=str(files["path"]),
        RUNNER_TEMP=str(runner),
    )
    context = {f"inputs.{name}": value for name, value in given.items()}
    context["github.action_path"] = str(ROOT)
    log = ""
    outputs: dict[str, str] = {}
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"]  # inputs reach the script as variables, never as its text
        step_env = dict(env, **{k: _evaluate(str(v), context) for k, v in step.get("env", {}).items()})
        script = runner / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(
            [step["shell"], "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        log += done.stdout + done.stderr
        if "id" in step:
            lines = files["output"].read_text(encoding="utf-8").splitlines()
            outputs.update(
                {f"steps.{step['id']}.outputs.{k}": v for k, _, v in (x.partition("=") for x in lines)}
            )
        if done.returncode:
            break
    resolved = {name: _evaluate(spec["value"], outputs) for name, spec in action["outputs"].items()}
    resolved["summary"] = files["summary.md"].read_text(encoding="utf-8")
    return done.returncode, log, resolved


def test_the_action_annotates_reports_and_fails_on_an_invalid_bag(
    tmp_path: Path, ci_env: dict[str, str]
) -> None:
    workspace = bags_repo(tmp_path / "workspace")
    make_good_bag(workspace / "bags" / "my bag")  # a path with a space: one path per line
    code, log, outputs = _run_action(
        workspace, {"paths": "bags/good\nbags/my bag\n\nbags/bad\n", "install": "false"}, ci_env
    )
    assert code == 1, log
    assert "::error file=bags/bad/data/a.txt,title=manifest.checksum-mismatch::" in log
    assert "3 bags: 2 valid, 0 valid with warnings, 1 invalid" in log
    junit = workspace / outputs["junit"]
    assert junit.name == "preservation-validate.xml"
    etree.XMLSchema(etree.parse(str(JUNIT_XSD))).assertValid(etree.parse(str(junit)))
    html = MarkdownIt("commonmark").enable("table").render(outputs["summary"])
    assert "<h2>Bag validation: 1 of 3 invalid</h2>" in html and html.count("<tr>") == 4


def test_the_action_takes_strict_format_and_profile(tmp_path: Path, ci_env: dict[str, str]) -> None:
    workspace = tmp_path / "workspace"
    make_good_bag(workspace / "bag", {"a.txt": b"a", ".DS_Store": b"x"})
    inputs = {"paths": "bag", "install": "false"}
    code, log, _ = _run_action(workspace, inputs, ci_env)
    assert code == 0 and "::warning file=bag/data/.DS_Store,title=name.os-junk::" in log
    code, log, _ = _run_action(workspace, dict(inputs, strict="true", format="text"), ci_env)
    assert code == 1 and "warning [name.os-junk] data/.DS_Store" in log and "::" not in log
    profile = str(ROOT / "profiles" / "state-archive.yaml")
    code, log, _ = _run_action(workspace, dict(inputs, profile=profile, format="text"), ci_env)
    assert code == 1 and "error [profile.bag-info.required]" in log  # make_bag's bag is not ours


def test_the_gitlab_template_writes_the_junit_report_it_declares(
    tmp_path: Path, ci_env: dict[str, str]
) -> None:
    template = yaml.safe_load((ROOT / "ci" / "gitlab-validate-bags.yml").read_text(encoding="utf-8"))
    job = template[".validate-bags"]
    assert template["validate-bags"] == {"extends": ".validate-bags"}
    workspace = bags_repo(tmp_path / "workspace")
    variables = dict(job["variables"], BAGS="bags/good bags/bad")
    env = dict(ci_env, CI="true", GITLAB_CI="true", **variables)
    done = subprocess.run(
        ["sh", "-e", "-c", "\n".join(job["script"])], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bags/bad (directory): INVALID" in done.stdout
    report = workspace / job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"
    suites = etree.parse(str(report))
    etree.XMLSchema(etree.parse(str(JUNIT_XSD))).assertValid(suites)
    assert [s.get("name") for s in suites.getroot()] == ["bags/good", "bags/bad"]
