"""The forge files: the GitHub Actions workflow, the GitLab CI pipeline and CODEOWNERS.

No forge runs here, so these tests read the files: each is valid against its forge's schema (the
copies vendored in check-jsonschema), fetches the whole history, calls only real casetrail
subcommands and options, real make targets and `.ci/run`, never touches a secret or a key, and
CODEOWNERS routes cases/ to the supervisors and schema/ to the records office. The shell steps
that carry logic run for real in bash, against a temporary git repository, with stand-ins for
`casetrail` and `curl` that record what they were asked.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from casetrail.cli.main import _COMMANDS
from conftest import PROJECT

GITHUB = PROJECT / ".github" / "workflows" / "casetrail.yml"
GITLAB = PROJECT / ".gitlab-ci.yml"
CODEOWNERS = PROJECT / "CODEOWNERS"
GUIDE = PROJECT / "site" / "guides" / "forges.md"

# Subcommands of the issue 5 contract, with their options, accepted before they exist.
CONTRACT = {
    "audit": {"--range", "--state", "--no-record", "--format", "--permissions"},
    "log": {"--format"},
}
READ_ONLY = {"check", "audit", "log", "rules"}  # all CI may run: it holds no keys
CONTROL = {None, ";", "&&", "||", "|", "(", "<(", "$(", "then", "else", "elif", "do", "if", "!"}
GITLAB_KEYWORDS = {"workflow", "stages", "variables", "default", "include", "image", "services"}


# ---------------------------------------------------------------------------- reading the files


def _github() -> dict[str, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(GITHUB.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def _gitlab() -> dict[str, Any]:
    pipeline: dict[str, Any] = yaml.safe_load(GITLAB.read_text())
    return pipeline


def _gitlab_jobs() -> dict[str, dict[str, Any]]:
    """Every job with its `extends` templates merged in (the job's own keys win)."""
    pipeline = _gitlab()

    def resolved(name: str) -> dict[str, Any]:
        job = pipeline[name]
        merged: dict[str, Any] = {}
        parents = job.get("extends", [])
        for parent in [parents] if isinstance(parents, str) else parents:
            merged.update(resolved(parent))
        merged.update({k: v for k, v in job.items() if k != "extends"})
        return merged

    return {
        name: resolved(name)
        for name in pipeline
        if name not in GITLAB_KEYWORDS and not name.startswith(".")
    }


def _github_steps() -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in _github()["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _scripts() -> Iterator[tuple[str, str]]:
    """(where, shell script) for every script of both files."""
    for job_id, step in _github_steps():
        if "run" in step:
            yield f"github {job_id}: {step.get('name', step['run'])}", step["run"]
    for name, job in _gitlab_jobs().items():
        lines = [*job.get("before_script", []), *job.get("script", [])]
        yield f"gitlab {name}", "\n".join(lines)


def _commands(script: str, program: str) -> Iterator[list[str]]:
    """Each call of `program` in command position, with its arguments up to the next operator.
    Words inside quotes (messages) stay one token, so `echo "casetrail audit failed"` is no call."""
    for line in script.splitlines():
        line = re.sub(r"(^|\s)#\s.*$", "", line)  # comments (none of ours sits inside quotes)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            previous = tokens[i - 1] if i else None
            if (token == program or token.endswith(f"/{program}")) and previous in CONTROL:
                call = []
                for word in tokens[i + 1 :]:
                    if word in CONTROL or word.startswith((">", "<", ")")):
                        break
                    call.append(word)
                yield call


def _casetrail_calls() -> list[tuple[str, list[str]]]:
    return [
        (where, call) for where, script in _scripts() for call in _commands(script, "casetrail")
    ]


def _options(call: list[str]) -> set[str]:
    words = call[: call.index("--")] if "--" in call else call
    return {word.split("=", 1)[0] for word in words if word.startswith("--")}


def _make_targets() -> set[str]:
    """The Makefile's targets with its variables expanded ($(STAMP) is .venv/.installed)."""
    variables: dict[str, str] = {}
    targets: set[str] = set()

    def expand(text: str) -> str:
        return re.sub(r"\$\((\w+)\)", lambda m: expand(variables.get(m.group(1), "")), text)

    for line in (PROJECT / "Makefile").read_text().splitlines():
        if line.startswith(("\t", "#", ".PHONY")) or not line.strip():
            continue
        if assignment := re.match(r"(\w+)\s*[:?]?=\s*(.*)$", line):
            variables[assignment.group(1)] = assignment.group(2).strip()
        elif rule := re.match(r"([^:=#]+):(?!=)", line):
            targets.update(expand(rule.group(1)).split())
    return targets


# ---------------------------------------------------------------------------- both CI files


@pytest.mark.parametrize(
    ("path", "schema", "load"),
    [(GITHUB, "github-workflows.json", _github), (GITLAB, "gitlab-ci.json", _gitlab)],
)
def test_valid_for_the_forge(path: Path, schema: str, load: Any) -> None:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / schema
    validator = jsonschema.Draft7Validator(json.loads(vendored.read_text()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load())]
    assert not errors, f"{path.name}: {errors}"


def test_the_whole_history_is_fetched() -> None:
    checkouts = [
        step for _, step in _github_steps() if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    assert all(step.get("with", {}).get("fetch-depth") == 0 for step in checkouts), checkouts
    assert str(_gitlab()["variables"]["GIT_DEPTH"]) == "0"
    overridden = {
        n: j["variables"]
        for n, j in _gitlab_jobs().items()
        if "GIT_DEPTH" in j.get("variables", {})
    }
    assert not overridden


def test_every_casetrail_call_is_a_real_read_only_subcommand() -> None:
    calls = _casetrail_calls()
    assert {call[0] for _, call in calls} >= {"check", "audit"}
    for where, call in calls:
        name = call[0]
        assert name in READ_ONLY, f"{where}: CI runs `casetrail {name}`, which is not read-only"
        if name in _COMMANDS:
            module, _, attribute = _COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        else:
            assert name in CONTRACT, f"{where}: `casetrail {name}` is no subcommand"
            known = CONTRACT[name]
        assert _options(call) <= known, f"{where}: casetrail {' '.join(call)}"


def test_make_targets_and_ci_run_exist() -> None:
    targets = _make_targets()
    assert ".venv/.installed" in targets  # the set-up target
    called = [(w, c) for w, script in _scripts() for c in _commands(script, "make")]
    assert called
    for where, call in called:
        wanted = [word for word in call if not word.startswith("-")]
        assert wanted and set(wanted) <= targets, f"{where}: make {' '.join(call)}"
    runs = [w for w, script in _scripts() for _ in _commands(script, ".ci/run")]
    assert any(w.startswith("github") for w in runs) and any(w.startswith("gitlab") for w in runs)
    assert os.access(PROJECT / ".ci" / "run", os.X_OK)


def test_no_secret_and_no_key_is_read() -> None:
    for path in (GITHUB, GITLAB):
        text = path.read_text()
        assert not re.search(r"secrets\.\w", text), f"{path.name} reads a secret"
        for forbidden in ("CASETRAIL_AGE_KEY", "--decrypt", "AGE-" + "SECRET-KEY", "age-keygen"):
            assert forbidden not in text, f"{path.name} mentions {forbidden}"


def test_scripts_are_valid_bash() -> None:
    for where, script in _scripts():
        assert "${{" not in script, f"{where}: pass expressions through env, not into the script"
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert done.returncode == 0, f"{where}: {done.stderr}"


# ---------------------------------------------------------------------------- GitHub Actions


def test_github_validates_pull_requests_and_audits_main() -> None:
    workflow = _github()
    assert workflow["on"]["pull_request"]["branches"] == ["main"]
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    calls = [(w, c) for w, c in _casetrail_calls() if w.startswith("github")]
    checks = [c for w, c in calls if w.startswith("github validate") and c[0] == "check"]
    assert checks and all({"--format", "--against"} <= _options(c) for c in checks)
    assert all(c[c.index("--format") + 1] == "github" for _, c in calls if "--format" in c)
    audits = {w.split(":")[0]: c for w, c in calls if c[0] == "audit"}
    assert "--range" in audits["github validate"]
    assert "--state" in audits["github audit"] and "--range" not in audits["github audit"]
    assert "pull_request" in jobs["validate"]["if"] and "refs/heads/main" in jobs["audit"]["if"]
    # The pull request's own commits, not the unsigned test merge GitHub makes of them.
    checkout = jobs["validate"]["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"


def test_github_keeps_verdicts_and_publishes_the_state() -> None:
    jobs = _github()["jobs"]
    uses = {step.get("uses", "").split("@")[0]: step for step in jobs["audit"]["steps"]}
    assert uses["actions/checkout"]["with"]["ref"] == "main"  # main now, even in a re-run
    assert uses["actions/cache/restore"]["with"]["path"] == ".git/casetrail"
    assert uses["actions/cache/restore"]["with"]["restore-keys"]
    assert uses["actions/cache/save"]["with"]["path"] == ".git/casetrail"
    assert "actions/upload-pages-artifact" in uses
    deploy = jobs["deploy"]
    assert (
        deploy["permissions"]["pages"] == "write" and deploy["permissions"]["id-token"] == "write"
    )
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert _github()["permissions"] == {"contents": "read"}


def test_github_actions_are_githubs_own_and_pinned() -> None:
    for job_id, step in _github_steps():
        if "uses" in step:
            assert re.fullmatch(r"actions/[a-z-]+(/[a-z-]+)?@(v\d+|[0-9a-f]{40})", step["uses"]), (
                job_id,
                step["uses"],
            )


# ---------------------------------------------------------------------------- GitLab CI


def test_gitlab_validates_merge_requests_and_publishes_pages() -> None:
    jobs = _gitlab_jobs()
    for name in ("casetrail-validate", "casetrail-tests"):
        assert "merge_request_event" in jobs[name]["rules"][0]["if"]
    calls = {(w, c[0]): c for w, c in _casetrail_calls() if w.startswith("gitlab")}
    assert ("gitlab casetrail-validate", "check") in calls
    assert "--range" in calls[("gitlab casetrail-validate", "audit")]
    assert "--state" in calls[("gitlab casetrail-audit", "audit")]
    assert not any("--format" in c for c in calls.values())  # text in the job log
    audit = jobs["casetrail-audit"]
    assert any(".cache/casetrail-audit/" in cache["paths"] for cache in audit["cache"])
    assert "public/" in jobs["pages"]["artifacts"]["paths"]
    assert "CI_PAGES_URL" in "\n".join(audit["script"])


# ---------------------------------------------------------------------------- the scripts, run


def _fake(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


FAKE_CASETRAIL = """
echo "$*" >> "$FAKE_LOG"
if [[ $1 == audit ]]; then
  args=("$@")
  for i in "${!args[@]}"; do
    if [[ ${args[$i]} == --state ]]; then echo '{"version": 1, "head": "NEW"}' > "${args[$((i+1))]}"; fi
  done
  exit "${FAKE_AUDIT_EXIT:-0}"
fi
"""
FAKE_CURL = """
while [[ $# -gt 0 ]]; do
  case $1 in -o) out=$2; shift 2;; *) shift;; esac
done
printf '%s' "${FAKE_BODY:-}" > "$out"
printf '%s' "$FAKE_CODE"
"""


@pytest.fixture
def bench(tmp_path: Path) -> dict[str, str]:
    """A work folder with stand-ins for casetrail and curl first on PATH."""
    fakes = tmp_path / "bin"
    fakes.mkdir()
    _fake(fakes, "casetrail", FAKE_CASETRAIL)
    _fake(fakes, "curl", FAKE_CURL)
    (tmp_path / "work").mkdir()
    (tmp_path / "temp").mkdir()
    return {
        **os.environ,
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_PATH": str(tmp_path / "path"),
    }


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def _history(work: Path, env: dict[str, str], change: str) -> tuple[str, str]:
    """A base commit with two cases and the schema, and a head commit that changes `change`
    (deletes it, when it starts with a minus)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=work, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    for rel in ("cases/2026/2026-7KQ4XMP.md", "cases/2026/2026-6DNGN93.md", "schema/policy.yaml"):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text("one\n")
    git("add", "-A")
    git("commit", "-q", "--no-gpg-sign", "-m", "base")
    base = git("rev-parse", "HEAD")
    if change.startswith("-"):
        git("rm", "-q", change[1:])
    else:
        (work / change).write_text("two\n")
    git("commit", "-q", "--no-gpg-sign", "-am", "head")
    return base, git("rev-parse", "HEAD")


@pytest.mark.parametrize(
    ("change", "expected_paths"),
    [
        ("cases/2026/2026-7KQ4XMP.md", " -- cases/2026/2026-7KQ4XMP.md"),
        ("schema/policy.yaml", ""),  # a schema change can invalidate any case: all are checked
        ("-cases/2026/2026-6DNGN93.md", ""),  # so can a deletion (of a case others refer to)
    ],
)
def test_pull_request_checks_the_changed_cases(
    tmp_path: Path, bench: dict[str, str], change: str, expected_paths: str
) -> None:
    work = tmp_path / "work"
    base, head = _history(work, bench, change)
    github = next(s for _, s in _github_steps() if "check" in s.get("name", ""))
    audit = next(s for _, s in _github_steps() if "audit (the pull" in s.get("name", ""))
    for step in (github, audit):
        done = _bash(step["run"], {**bench, "BASE_SHA": base, "HEAD_SHA": head}, work)
        assert done.returncode == 0, done.stderr
    gitlab = "\n".join(_gitlab_jobs()["casetrail-validate"]["script"])
    env = {**bench, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_COMMIT_SHA": head}
    done = _bash(gitlab, env, work)
    assert done.returncode == 0, done.stderr
    assert Path(bench["FAKE_LOG"]).read_text().splitlines() == [
        f"check --format github --against {base}{expected_paths}",
        f"audit --range {base}..{head} --no-record --format github",
        f"check --against {base}{expected_paths}",
        f"audit --range {base}..{head} --no-record",
    ]


def _main_audit(forge: str, bench: dict[str, str], work: Path) -> tuple[int, Path]:
    """Run the main branch's audit steps; return the audit's exit code and the site folder."""
    if forge == "github":
        job = _github()["jobs"]["audit"]
        wanted = ("Fetch the audit state", "casetrail audit (the new", "Build the site")
        env = {**bench, **job["env"], "PAGES_URL": "https://pages.invalid/records/"}
        env["CASETRAIL_STATE_URL"] = ""
        for step in job["steps"]:
            if step.get("name", "").startswith(wanted):
                done = _bash(step["run"], env, work)
                assert done.returncode == 0, done.stdout + done.stderr
        output = Path(bench["GITHUB_OUTPUT"]).read_text()
        return int(re.findall(r"exit_code=(\d+)", output)[-1]), work / job["env"]["SITE_DIR"]
    script = "\n".join(_gitlab_jobs()["casetrail-audit"]["script"])
    env = {**bench, "STATE": _gitlab()["variables"]["STATE"], "CI_PAGES_URL": "https://p.invalid"}
    done = _bash(script, env, work)
    assert done.returncode == 0, done.stdout + done.stderr
    return int((work / "casetrail-audit.exit").read_text()), work / "public"


PUBLISHED = '{"version": 1, "head": "OLD"}'


@pytest.mark.parametrize("forge", ["github", "gitlab"])
@pytest.mark.parametrize(
    ("code", "body", "audit_exit", "published"),
    [
        ("200", PUBLISHED, "0", "NEW"),  # a clean audit moves the state on
        ("200", PUBLISHED, "1", "OLD"),  # a failed one keeps the last head that passed
        ("404", "", "0", "NEW"),  # the first run
        ("404", "", "1", None),  # a failed first run publishes no state
    ],
)
def test_main_audit_state(
    tmp_path: Path,
    bench: dict[str, str],
    forge: str,
    code: str,
    body: str,
    audit_exit: str,
    published: str | None,
) -> None:
    env = {**bench, "FAKE_CODE": code, "FAKE_BODY": body, "FAKE_AUDIT_EXIT": audit_exit}
    exit_code, site = _main_audit(forge, env, tmp_path / "work")
    assert exit_code == int(audit_exit)
    state = site / "audit" / "last-audit.json"
    assert (json.loads(state.read_text())["head"] if state.exists() else None) == published
    called = Path(bench["FAKE_LOG"]).read_text()
    assert "audit --state .git/casetrail/last-audit.json" in called


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_main_audit_refuses_a_state_it_cannot_read(
    tmp_path: Path, bench: dict[str, str], forge: str
) -> None:
    env = {**bench, "FAKE_CODE": "200", "FAKE_BODY": "<html>Sign in</html>"}
    with pytest.raises(AssertionError, match="not a casetrail audit state"):
        _main_audit(forge, env, tmp_path / "work")
    assert not Path(bench["FAKE_LOG"]).exists()  # no audit without the last audited head


# ---------------------------------------------------------------------------- CODEOWNERS and guide


def _owners(path: str) -> list[str]:
    """GitHub's and GitLab's reading: gitignore-style patterns, the last match wins."""
    found: list[str] = []
    for line in CODEOWNERS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        anchored = pattern.startswith("/")
        pattern = pattern.strip("/")
        candidates = [path] if anchored or "/" in pattern else path.split("/")
        prefixes = {"/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1)}
        if pattern == "*" or any(fnmatch.fnmatchcase(c, pattern) for c in {*candidates, *prefixes}):
            found = owners
    return found


def test_codeowners_routes_cases_and_schema() -> None:
    assert _owners("cases/2026/2026-7KQ4XMP.md") == ["@your-org/supervisors"]
    assert _owners("cases/2026/2026-7KQ4XMP/report.pdf.age") == ["@your-org/supervisors"]
    assert _owners("schema/roster.yaml") == ["@your-org/records-office"]
    for path in (".github/workflows/casetrail.yml", ".gitlab-ci.yml", "CODEOWNERS", "tooling/x.py"):
        assert "@your-org/records-office" in _owners(path), path
    assert "placeholder" in CODEOWNERS.read_text().lower()
    for line in CODEOWNERS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            assert owners and all(o.startswith("@") for o in owners), line
            if pattern != "*":
                assert (PROJECT / pattern.strip("/")).exists(), f"CODEOWNERS names {pattern}"


def test_guide_names_the_checks_to_require() -> None:
    guide = GUIDE.read_text()
    for job in ("validate", "tests"):
        assert f"`{_github()['jobs'][job]['name']}`" in guide
    for name in ("casetrail-validate", "casetrail-tests", "CASETRAIL_STATE_URL"):
        assert name in guide
    assert "git merge --no-ff -S" in guide
