"""casetrail's benchmark: `casetrail check` on synthetic trees against plain reading and PyYAML.

    python tests/bench/run.py [--sizes 1000,10000] [--repeat 3] [--history 10000]
                              [--site 1000,10000] [--site-repeat 3,1]

Run from the repository root with the venv's python. Trees are generated (or reused) under
build/bench/ by synth.py; results go to build/bench/results.json. Each round runs every measure
once, in order, so a slow spell of a shared machine hits the figures that are compared alike;
each figure is the median wall time over --repeat rounds, with the page cache warm.

The history section (--history CASES, 0 skips it) measures `casetrail audit` and `casetrail log`
on a signed history made by history.py (about 5.9 commits a case; cached under /tmp), against one
pass of `git log --name-status` and git's own signature verification.

The site section (--site SIZES, 0 skips it; sitebench.py) times `casetrail site` and the whole
`mkdocs build` of the auditors' site against a plain Material build of the same Markdown, with
--site-repeat rounds per size (one number for all sizes, or one per size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import history
import sitebench
import synth
import yaml

BIN = Path(sys.executable).parent
CASETRAIL = str(BIN / "casetrail")
RESULTS = synth.BUILD / "results.json"
PROCESSES = 2
READ, YAML1 = "read all case files", "yaml CSafeLoader, 1 core"
YAML2 = f"yaml CSafeLoader, Pool({PROCESSES})"
COLD, WARM = "check, cold (no .cache)", "check, warm (nothing changed)"
ONE = "check 1 changed file (pre-commit)"
IMPORTS = "python -c 'import yaml, click'"
# measure, compared with, limit on the median (s), limit on the ratio, target as printed
SPECS: list[tuple[str, str, float | None, float | None, str]] = [
    (READ, YAML1, None, None, ""),
    (YAML1, "", None, None, ""),
    (YAML2, YAML1, None, None, ""),
    (COLD, YAML1, None, 1.3, "<= 1.3x"),
    (WARM, COLD, 1.0, None, "< 1 s"),
    (ONE, IMPORTS, 0.2, None, "< 0.2 s"),
]  # fmt: skip


@dataclass(frozen=True)
class Row:
    size: int  # cases in the tree; 0 for size-independent figures
    measure: str
    median: float
    runs: list[float]
    ratio: float | None = None  # median / the median of `versus`
    versus: str = ""
    target: str = ""
    passed: bool | None = None


def clock(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def read_all(tree: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(tree.glob("cases/*/*.md"))]


def front_matter(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[4 : text.index("\n---\n", 3) + 1]


def load_all(texts: list[str]) -> int:
    for text in texts:
        yaml.load(text, Loader=yaml.CSafeLoader)  # the C *safe* loader
    return len(texts)


def load_parallel(texts: list[str]) -> int:
    size = max(1, len(texts) // (PROCESSES * 4))
    with multiprocessing.Pool(PROCESSES) as pool:
        return sum(pool.map(load_all, [texts[i : i + size] for i in range(0, len(texts), size)]))


def run(args: list[str], cwd: Path, expect: str = "") -> str:
    """Run a command; stop the benchmark unless it succeeds with a last line as expected."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or not re.match(expect, last):
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
            f"{done.stderr[-3000:]}"
        )
    return last


def startup(repeat: int) -> list[Row]:
    """Fresh-process costs that every pre-commit run pays, for context."""
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        IMPORTS: [sys.executable, "-c", "import yaml, click"],
        "casetrail --version": [CASETRAIL, "--version"],
    }
    rows = []
    for name, command in commands.items():
        runs = [clock(partial(run, command, Path.cwd())) for _ in range(repeat + 2)]
        rows.append(Row(0, name, statistics.median(runs), runs))
    return rows


def bench(size: int, repeat: int, context: dict[str, float]) -> tuple[list[Row], str]:
    tree = synth.ensure(size)
    synth.git(tree, "checkout", "-q", "--", "cases")  # undo an interrupted earlier run
    # Warnings do not stop the benchmark (they are reported); any error does.
    whole, clean = [CASETRAIL, "check"], rf"0 errors, \d+ warnings? in {size} files"
    summaries: list[str] = []
    texts = [front_matter(data) for data in read_all(tree)]  # also warms the page cache
    assert len(texts) == size, f"{tree} holds {len(texts)} cases, not {size}"
    target = sorted(tree.glob("cases/*/*.md"))[size // 2]
    rel, original = target.relative_to(tree).as_posix(), target.read_bytes()
    runs: dict[str, list[float]] = {spec[0]: [] for spec in SPECS}
    for index in range(repeat):
        runs[READ].append(clock(lambda: read_all(tree)))
        runs[YAML1].append(clock(lambda: load_all(texts)))
        runs[YAML2].append(clock(lambda: load_parallel(texts)))
        shutil.rmtree(tree / ".cache", ignore_errors=True)  # --no-cache would still write
        runs[COLD].append(clock(lambda: summaries.append(run(whole, tree, clean))))
        runs[WARM].append(clock(lambda: run(whole, tree, clean)))
        # A new blob each round that is still valid: the title line gains trailing spaces.
        title = re.search(rb"(?m)^title: .*$", original)
        assert title is not None, f"{rel} has no title line"
        changed = original[: title.end()] + b" " * (index + 1) + original[title.end() :]
        try:
            target.write_bytes(changed)
            runs[ONE].append(clock(lambda: run([*whole, rel], tree, "0 errors")))
        finally:
            target.write_bytes(original)
    medians = {**context, **{name: statistics.median(values) for name, values in runs.items()}}
    rows = []
    for name, versus, limit, ratio_limit, label in SPECS:
        median, base = medians[name], medians.get(versus)
        ratio = median / base if base else None
        passed = None
        if limit is not None:
            passed = median < limit
        elif ratio_limit is not None and ratio is not None:
            passed = ratio <= ratio_limit
        rows.append(Row(size, name, median, runs[name], ratio, versus, label, passed))
    return rows, summaries[0]


REKEY_IDLE = "rekey --all, nothing to re-encrypt"
REKEY = "rekey --all after a key change"
PYRAGE = "pyrage alone: same decrypt+encrypt"
ESCROW_KEY = synth.REPO / "tests" / "demo-keys-DO-NOT-USE" / "escrow.agekey"


def _blocks_and_documents(tree: Path) -> tuple[list[bytes], list[bytes]]:
    armor = re.compile(
        rb"-----BEGIN AGE ENCRYPTED FILE-----\n.*?-----END AGE ENCRYPTED FILE-----", re.S
    )
    blocks = [
        m.group() for p in sorted(tree.glob("cases/*/*.md")) for m in armor.finditer(p.read_bytes())
    ]
    documents = [p.read_bytes() for p in sorted(tree.glob("cases/*/*/*.age"))]
    return blocks, documents


def pyrage_alone(blocks: list[bytes], documents: list[bytes], keys: list[str]) -> None:
    """What re-encrypting costs pyrage itself, in one process: the yardstick for rekey."""
    import pyrage

    identity = [
        pyrage.x25519.Identity.from_str(line)
        for line in ESCROW_KEY.read_text().splitlines()
        if line.startswith("AGE-")
    ]
    recipients = [pyrage.x25519.Recipient.from_str(k) for k in keys]
    for block in blocks:
        pyrage.encrypt(pyrage.decrypt(block, identity), recipients, armored=True)
    for document in documents:
        pyrage.encrypt(pyrage.decrypt(document, identity), recipients)


def bench_rekey(size: int, repeat: int) -> list[Row]:
    """`casetrail rekey --all` when nothing changed, and after a supervisor's key changed (every
    section and document re-encrypted), against pyrage doing the same work alone."""
    import os

    import pyrage

    tree = synth.ensure(size)
    roster = tree / "schema" / "roster.yaml"
    original = roster.read_text()
    old_key = "age14wkxft4v4y6htjv3373rd2xdplf24z28hn0av99fm2suwe6lpusqld62x8"  # fweber
    new_key = str(pyrage.x25519.Identity.generate().to_public())
    keys = re.findall(r"age1[02-9ac-hj-np-z]{58}", original.replace(old_key, new_key))
    env = {**os.environ, "CASETRAIL_AGE_KEY_FILE": str(ESCROW_KEY)}
    blocks, documents = _blocks_and_documents(tree)
    command = [CASETRAIL, "rekey", "--all"]
    runs: dict[str, list[float]] = {REKEY_IDLE: [], REKEY: [], PYRAGE: []}

    def rekey() -> None:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"rekey failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    try:
        for _ in range(repeat):
            synth.git(tree, "checkout", "-q", "--", "cases", "schema")
            runs[REKEY_IDLE].append(clock(rekey))
            roster.write_text(original.replace(old_key, new_key))
            runs[REKEY].append(clock(rekey))
            runs[PYRAGE].append(clock(lambda: pyrage_alone(blocks, documents, keys[:5])))
    finally:
        synth.git(tree, "checkout", "-q", "--", "cases", "schema")
        shutil.rmtree(tree / ".cache", ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in runs.items()}
    ratio = medians[REKEY] / medians[PYRAGE]
    return [
        Row(size, PYRAGE, medians[PYRAGE], runs[PYRAGE], target=f"{len(blocks)}+{len(documents)}"),
        Row(size, REKEY_IDLE, medians[REKEY_IDLE], runs[REKEY_IDLE]),
        Row(size, REKEY, medians[REKEY], runs[REKEY], ratio, PYRAGE, "<= 2x", ratio <= 2.0),
    ]


# --- History: `casetrail audit` and `casetrail log` on a long signed history (history.py) ---

ANCHOR = "git log --name-status (all)"
AUDIT_COLD = "audit, cold (no verdict cache)"
AUDIT_WARM = "audit again (nothing new)"
AUDIT_NEW = "audit after 10 new commits"
LOG_CASE = "log CASE (busiest case)"
LOG_COLD = "log CASE, no verdict cache"
GIT_SIGS = "git log %G?, newest 2000"
GIT_ALL = "git %G?, all (extrapolated)"


@dataclass
class Attempt:
    seconds: float
    code: int
    output: str


def attempt(args: list[str], cwd: Path) -> Attempt:
    """Run and time a command that may fail (or not exist yet); never stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    return Attempt(seconds, done.returncode, (done.stdout + done.stderr).strip())


def available(command: str) -> bool:
    return attempt([CASETRAIL, command, "--help"], Path.cwd()).code == 0


def bench_history(cases: int, repeat: int, cold_runs: int) -> tuple[list[Row], dict[str, object]]:
    """(a) git log --name-status over the whole history; (b) audit with no verdict cache;
    (c) audit again; (d) audit after 10 new commits; (e) log of the busiest case; (f) git's own
    verification of 2000 commits, extrapolated to all."""
    built = history.ensure(cases)
    repo, manifest = built.repo, built.manifest
    history.restore(built)  # undo an interrupted earlier run
    commits, case = int(manifest["commits"]), str(manifest["busiest_case"])
    audit = [CASETRAIL, "--root", str(repo), "audit"]
    runs: dict[str, list[float]] = {}
    problems: dict[str, str] = {}
    missing: list[str] = []

    def timed(name: str, args: list[str]) -> None:
        result = attempt(args, repo)
        runs.setdefault(name, []).append(result.seconds)
        if result.code != 0 and name not in problems:
            problems[name] = f"exit {result.code}: {result.output[-1500:]}"
        elif result.code == 0 and name.startswith("audit"):
            print(f"  {name}: {result.output.splitlines()[-1]}", flush=True)

    def anchor() -> None:
        done = subprocess.run(["git", "log", "--name-status"], cwd=repo, capture_output=True)
        assert done.returncode == 0 and done.stdout, "git log --name-status failed"

    try:
        for _ in range(repeat):
            runs.setdefault(ANCHOR, []).append(clock(anchor))
        if available("audit"):
            for _ in range(cold_runs):
                shutil.rmtree(repo / ".git" / "casetrail", ignore_errors=True)
                timed(AUDIT_COLD, audit)
            for _ in range(repeat):
                timed(AUDIT_WARM, audit)
            for index in range(repeat):
                history.add_commits(built, 10, repo.parent / "keys", later=index * history.DAY)
                # --no-record: the recorded head stays the generated one for the next round
                timed(AUDIT_NEW, [*audit, "--no-record"])
                history.reset_head(built)
        else:
            missing += [AUDIT_COLD, AUDIT_WARM, AUDIT_NEW]
        if available("log"):
            # What `casetrail setup` does in every clone: changed-path filters let git answer
            # a path-limited log without diffing the 10,000-entry folder at every commit.
            subprocess.run(
                ["git", "commit-graph", "write", "--reachable", "--changed-paths"],
                cwd=repo,
                capture_output=True,
                check=True,
            )
            for _ in range(repeat):
                timed(LOG_CASE, [CASETRAIL, "--root", str(repo), "log", case])
            shutil.rmtree(repo / ".git" / "casetrail", ignore_errors=True)
            timed(LOG_COLD, [CASETRAIL, "--root", str(repo), "log", case])
        else:
            missing += [LOG_CASE, LOG_COLD]
        sigs = ["git", "-c", f"gpg.ssh.allowedSignersFile={built.allowed_signers}", "log"]
        verify = [*sigs, "-n", "2000", "--format=%G?"]
        verdicts = subprocess.run(verify, cwd=repo, capture_output=True, text=True)
        runs[GIT_SIGS] = [clock(lambda: subprocess.run(verify, cwd=repo, capture_output=True))]
        if set(verdicts.stdout.split()) != {"G"}:
            problems[GIT_SIGS] = "git does not say G (good) for every commit"
        runs[GIT_ALL] = [runs[GIT_SIGS][0] * commits / 2000]
    finally:
        history.restore(built)
    medians = {name: statistics.median(values) for name, values in runs.items()}
    base = medians[ANCHOR]
    specs: list[tuple[str, str, str]] = [
        (ANCHOR, "", ""),
        (AUDIT_COLD, ANCHOR, "2x+60 s"),
        (AUDIT_WARM, ANCHOR, ""),
        (AUDIT_NEW, ANCHOR, ""),
        (LOG_CASE, "", "< 2 s"),
        (LOG_COLD, "", ""),
        (GIT_SIGS, "", ""),
        (GIT_ALL, AUDIT_COLD, ""),
    ]
    rows = []
    for name, versus, target in specs:
        if name not in medians:
            continue
        median = medians[name]
        ratio = median / medians[versus] if versus in medians else None
        passed: bool | None = None
        if name == AUDIT_COLD:
            passed = median <= 2 * base + 60
        elif name == LOG_CASE:
            passed = median < 2.0
        if name in problems:
            passed = False
        rows.append(Row(cases, name, median, runs[name], ratio, versus, target, passed))
    for name in missing:
        print(f"{cases:>6}  {name:<36} not available (casetrail has no such command yet)")
    for name, problem in problems.items():
        print(f"{cases:>6}  {name}: {problem}")
    info = {**manifest, "repo": str(repo), "not_available": missing, "problems": problems}
    return rows, info


def table(rows: list[Row]) -> str:
    head = f"{'cases':>6}  {'measure':<36} {'median s':>9} {'ratio':>7}  {'vs':<30} {'target':<8}"
    lines = [head + " result", "-" * (len(head) + 7)]
    for r in rows:
        ratio = f"{r.ratio:6.2f}x" if r.ratio is not None else ""
        result = {True: "PASS", False: "FAIL", None: ""}[r.passed]
        lines.append(
            f"{r.size or '':>6}  {r.measure:<36} {r.median:>9.3f} {ratio:>7}  {r.versus:<30} "
            f"{r.target:<8} {result}"
        )
    return "\n".join(lines)


def tool_digest() -> str:
    """Which casetrail was measured: its version and a digest of its sources."""
    package = synth.REPO / "tooling" / "casetrail"
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{run([CASETRAIL, '--version'], synth.REPO)} sources {digest.hexdigest()[:12]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="tree sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (median)")
    parser.add_argument(
        "--history", type=int, default=10000, help="cases in the signed history (0: skip)"
    )
    parser.add_argument(
        "--history-cold", type=int, default=1, help="runs of the audit with no verdict cache"
    )
    parser.add_argument("--site", default="1000,10000", help="site sizes (0: skip)")
    parser.add_argument("--site-repeat", default="3,1", help="site rounds, per size or for all")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s and int(s)]
    site_sizes = [int(s) for s in args.site.split(",") if s and int(s)]
    rounds = [int(s) for s in args.site_repeat.split(",") if s] or [args.repeat]
    site_repeat = [rounds[min(i, len(rounds) - 1)] for i in range(len(site_sizes))]  # last: rest
    tool = tool_digest()
    print("verifying a 200-case tree:", synth.verify(synth.ensure(200)), flush=True)
    rows = startup(args.repeat)
    context = {r.measure: r.median for r in rows}
    summaries = {}
    for size in sizes:
        measured, summaries[size] = bench(size, args.repeat, context)
        rows += measured
        print(f"{size} cases, cold check says: {summaries[size]}")
        print(table(measured), "\n", flush=True)
    if sizes:
        measured = bench_rekey(max(sizes), args.repeat)
        rows += measured
        print(table(measured), "\n", flush=True)
    histories: dict[str, object] = {}
    if args.history:
        measured, histories = bench_history(args.history, args.repeat, args.history_cold)
        rows += measured
        print(f"signed history: {histories['commits']} commits, {histories['merges']} merges")
        print(table(measured), "\n", flush=True)
    sites: dict[int, dict[str, object]] = {}
    if site_sizes:
        measured, sites = sitebench.bench_site(site_sizes, site_repeat, Row)
        rows += measured
        print(table(measured), "\n", flush=True)
    print(table(rows))
    if tool_digest() != tool:  # an editable install changed under us: figures are mixed
        print(f"WARNING: casetrail's sources changed during the run ({tool} at the start)")
        tool += " (changed during the run)"
    machine = {
        "tool": tool,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": multiprocessing.cpu_count(),
        "repeat": args.repeat,
        "site_repeat": site_repeat,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine, "check": summaries, "rows": [asdict(r) for r in rows]}
    if histories:
        payload["history"] = histories
    if sites:
        payload["site"] = sites
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\n{machine['tool']}; results: {RESULTS}")
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
