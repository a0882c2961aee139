"""Real signed histories in temporary folders, for the audit and log tests.

A `History` is a records repository with the project's schema/, introduced in commit 1 (schema and
roster) and pinned by commit 2 (policy `trust_root` set to commit 1). It acts as the people of the
demo roster with their demo SSH keys: every commit is a real `git commit -S` (or `git merge -S`)
with `gpg.format=ssh`, the person's key, and author and committer taken from the roster. Cases are
made and changed with the real casetrail commands, in process, at the history's clock, so dated
entries are never after the commits that write them. The clock moves forward one step per commit
unless a date is given.

Nothing here reads the developer's home or git configuration: git runs with a home of its own
inside the history's folder, and the casetrail commands run with the same environment.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEMO_KEYS = PROJECT / "tests" / "demo-keys-DO-NOT-USE"
START = datetime.fromisoformat("2026-11-16T09:00:00+01:00")  # a Monday, Berlin winter time
STEP = timedelta(minutes=30)
PEOPLE = (
    "amartin", "bkoch", "cnguyen", "dokafor", "esilva", "fweber", "gharris", "hlindqvist", "ipatel",
)  # fmt: skip


@dataclass
class Result:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    commit: str | None
    path: str | None
    message: str


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _roster_people(text: str) -> dict[str, tuple[str, str]]:
    """handle -> (name, email), read with plain patterns (the roster is the project's own)."""
    people = {}
    for block in re.split(r"\n  - handle: ", text)[1:]:
        handle = block.split("\n", 1)[0].strip()
        name = re.search(r"\n    name: (.+)", block)
        email = re.search(r"\n    email: (.+)", block)
        if name and email:
            people[handle] = (name.group(1).strip(), email.group(1).strip())
    return people


@dataclass
class History:
    """A records repository with a signed history; see the module docstring."""

    root: Path
    home: Path
    keys: Path
    now: datetime = START
    people: dict[str, tuple[str, str]] = field(default_factory=dict)
    signing_keys: dict[str, Path] = field(default_factory=dict)
    intro: str = ""  # commit 1, the trust root
    pinned: str = ""  # commit 2, which names the trust root in the policy

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path, *, trust_root: bool = True) -> History:
        """Commit 1: schema/ and an empty cases/ by the records office (hlindqvist); commit 2:
        the policy names commit 1 as the trust root (unless trust_root is False)."""
        folder.mkdir(parents=True, exist_ok=True)
        root, home, keys = folder / "records", folder / "home", folder / "keys"
        for made in (root, home, keys):
            made.mkdir()
        for handle in PEOPLE:
            key = keys / f"{handle}.ssh"
            shutil.copyfile(DEMO_KEYS / f"{handle}.ssh", key)
            shutil.copyfile(DEMO_KEYS / f"{handle}.ssh.pub", keys / f"{handle}.ssh.pub")
            key.chmod(0o600)  # ssh-keygen refuses a private key others can read
        shutil.copytree(PROJECT / "schema", root / "schema")
        (root / "cases").mkdir()
        (root / "cases" / ".gitkeep").write_text("")
        (root / ".gitignore").write_text(".cache/\n")
        history = cls(root=root, home=home, keys=keys)
        history.people = _roster_people((root / "schema" / "roster.yaml").read_text())
        history.signing_keys = {h: keys / f"{h}.ssh" for h in PEOPLE}
        history.git("init", "-q", "-b", "main")
        history.intro = history.commit("hlindqvist", "Introduce the records repository")
        if trust_root:
            history.set_trust_root(history.intro)
            history.pinned = history.commit("hlindqvist", "Policy: trust root is the introduction")
        return history

    def fork(self, folder: Path) -> History:
        """An independent copy (same commit ids, same clock) to add a scenario on top of."""
        folder.mkdir(parents=True, exist_ok=True)
        for part in ("records", "home", "keys"):
            shutil.copytree(getattr(self, part if part != "records" else "root"), folder / part,
                            symlinks=True)  # fmt: skip
        return History(
            root=folder / "records",
            home=folder / "home",
            keys=folder / "keys",
            now=self.now,
            people=dict(self.people),
            signing_keys={h: folder / "keys" / p.name for h, p in self.signing_keys.items()},
            intro=self.intro,
            pinned=self.pinned,
        )

    # ---- environment and processes ----------------------------------------------------------

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH", "VIRTUAL_ENV")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            {
                "HOME": str(self.home),
                "XDG_CONFIG_HOME": str(self.home / ".config"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": str(self.home / "gitconfig"),
                "CASETRAIL_NOW": iso(self.now),
                "CASETRAIL_AGE_KEY_FILE": str(DEMO_KEYS / "escrow.agekey"),
                "TZ": "UTC",
            }
        )
        env.update(self.identity("hlindqvist"))
        env.update(extra or {})
        return env

    def identity(self, author: str, committer: str | None = None) -> dict[str, str]:
        a_name, a_email = self.people[author]
        c_name, c_email = self.people[committer or author]
        return {
            "GIT_AUTHOR_NAME": a_name,
            "GIT_AUTHOR_EMAIL": a_email,
            "GIT_COMMITTER_NAME": c_name,
            "GIT_COMMITTER_EMAIL": c_email,
        }

    def git(self, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env(env), capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def casetrail(self, *args: str, cwd: Path | None = None, stdin: bytes = b"") -> Result:
        """The real CLI, in process, with this history's environment and clock."""
        from casetrail.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        with (
            _environment(self.env()),
            _cwd(cwd or self.root),
            _stdin(stdin),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(["--root", str(cwd or self.root), *args])
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, stdin: bytes = b"") -> str:
        result = self.casetrail(*args, stdin=stdin)
        assert result.code == 0, f"casetrail {' '.join(args)}: {result}"
        return result.out

    # ---- commits ------------------------------------------------------------------------------

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref).strip()

    def commit(
        self,
        as_: str,
        message: str,
        *,
        files: Mapping[str, str | bytes | None] | None = None,
        date: datetime | None = None,
        key: Path | None = None,
        committer: str | None = None,
        signed: bool = True,
        allow_empty: bool = False,
    ) -> str:
        """Stage everything (after writing `files`; None deletes) and commit as `as_`: author and
        committer from the roster (committer may differ), signed with their key (or `key`)."""
        for rel, data in (files or {}).items():
            self.write(rel, data)
        self.git("add", "-A")
        args = ["commit", "-q", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*self._signing(key or self.signing_keys[committer or as_], signed), *args,
                 env=self._dated(as_, committer, date))  # fmt: skip
        return self.head()

    def unsigned_commit(self, as_: str, message: str, **kwargs: object) -> str:
        return self.commit(as_, message, signed=False, **kwargs)  # type: ignore[arg-type]

    def commit_signed_by(self, key_of: str, committer: str, message: str, **kwargs: object) -> str:
        """A commit naming `committer` (author and committer) but signed with `key_of`'s key."""
        return self.commit(committer, message, key=self.signing_keys[key_of], **kwargs)  # type: ignore[arg-type]

    def step(self, as_: str, message: str, *args: str, date: datetime | None = None) -> str:
        """Run one casetrail command at the clock and commit its change as `as_`."""
        if date is not None:
            self.now = date
        self.ok(*args)
        return self.commit(as_, message, date=date)

    def branch(self, name: str, start: str = "main") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(
        self,
        as_: str,
        branch: str,
        *,
        into: str = "main",
        no_ff: bool = True,
        signed: bool = True,
        message: str | None = None,
        date: datetime | None = None,
        key: Path | None = None,
    ) -> str:
        self.checkout(into)
        args = ["merge", "-q", "--no-ff" if no_ff else "--ff-only", "--no-edit"]
        if no_ff:
            args += ["-m", message or f"Merge branch '{branch}'"]
        self.git(*self._signing(key or self.signing_keys[as_], signed and no_ff), *args, branch,
                 env=self._dated(as_, None, date))  # fmt: skip
        return self.head()

    def _signing(self, key: Path, signed: bool) -> list[str]:
        if not signed:
            return ["-c", "commit.gpgsign=false"]
        return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "-c", "commit.gpgsign=true"]

    def _dated(self, author: str, committer: str | None, date: datetime | None) -> dict[str, str]:
        when = date or self.now
        env = {**self.identity(author, committer), "GIT_AUTHOR_DATE": iso(when)}
        env["GIT_COMMITTER_DATE"] = iso(when)
        self.now = max(self.now, when) + STEP
        return env

    def write(self, rel: str, data: str | bytes | None) -> None:
        path = self.root / rel
        if data is None:
            path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    # ---- keys and the roster ------------------------------------------------------------------

    def fresh_key(self, name: str) -> Path:
        """A new ed25519 key made by ssh-keygen, in this history's key folder."""
        path = self.keys / f"{name}.ssh"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
            check=True,
            capture_output=True,
            env=self.env(),
        )
        return path

    def public_key(self, private: Path) -> str:
        """'ssh-ed25519 AAAA...' without the comment, as the roster lists keys."""
        return " ".join(Path(f"{private}.pub").read_text().split()[:2])

    def _edit_person(self, handle: str, edit: Callable[[str], str]) -> None:
        path = self.root / "schema" / "roster.yaml"
        text = path.read_text()
        marker = f"\n  - handle: {handle}\n"
        start = text.index(marker) + 1
        nxt = [i for i in (text.find("\n  - handle: ", start), text.find("\n\n", start)) if i > 0]
        end = min(nxt) + 1 if nxt else len(text)
        block = text[start:end]
        changed = edit(block)
        assert changed != block, f"roster edit of {handle} did nothing"
        path.write_text(text[:start] + changed + text[end:])

    def add_key(self, handle: str, public: str, valid_from: str) -> None:
        def edit(block: str) -> str:
            return block + f'      - key: {public}\n        valid_from: "{valid_from}"\n'

        self._edit_person(handle, edit)

    def _key_field(self, handle: str, public: str | None, name: str, value: str) -> None:
        key = public or self.public_key(self.signing_keys[handle])

        def edit(block: str) -> str:
            line = f"      - key: {key}\n"
            head, sep, tail = block.partition(line)
            assert sep, f"{handle} has no key {key} in the roster"
            valid_from, _, rest = tail.partition("\n")
            return f'{head}{line}{valid_from}\n        {name}: "{value}"\n{rest}'

        self._edit_person(handle, edit)

    def end_key(self, handle: str, valid_until: str, public: str | None = None) -> None:
        self._key_field(handle, public, "valid_until", valid_until)

    def revoke_key(self, handle: str, revoked_at: str, public: str | None = None) -> None:
        self._key_field(handle, public, "revoked_at", revoked_at)

    def add_role(self, handle: str, role: str) -> None:
        def edit(block: str) -> str:
            return re.sub(r"roles: \[([^\]]*)\]", lambda m: f"roles: [{m.group(1)}, {role}]", block)

        self._edit_person(handle, edit)

    def set_trust_root(self, commit: str) -> None:
        path = self.root / "schema" / "policy.yaml"
        text = re.sub(r"(?m)^trust_root: .*$", f'trust_root: "{commit}"', path.read_text())
        path.write_text(text)

    # ---- cases --------------------------------------------------------------------------------

    def new_case(self, title: str = "Late reply to a records request", *, priority: str = "medium",
                 case_type: str = "complaint", by: str = "amartin") -> str:  # fmt: skip
        """Register a case (not committed); returns its path."""
        out = self.ok("new", "--by", by, "--format", "json", "--type", case_type,
                      "--priority", priority, "--title", title)  # fmt: skip
        return str(json.loads(out)["path"])

    def register(self, title: str = "Late reply to a records request", **kwargs: str) -> str:
        """Register and assess a case as amartin, committed; returns the case id."""
        path = self.new_case(title, **kwargs)
        cid = Path(path).stem
        self.ok("assess", cid, "--by", "amartin", "--notes", "complete intake form")
        self.commit("amartin", f"Register {cid}")
        return cid

    def assign(self, cid: str, handler: str = "bkoch", *, by: str = "fweber") -> str:
        """Assign (approved by `by`, a supervisor) and acknowledge, in two signed commits."""
        self.ok("assign", cid, "--by", by, "--handler", handler, "--approved-by", by,
                "--rationale", "expertise and capacity", "--why-not-top", "continuity")  # fmt: skip
        self.commit(by, f"Assign {cid} to {handler}")
        self.ok("ack", cid, "--by", handler)
        return self.commit(handler, f"{handler} acknowledges {cid}")

    def request_closure(self, cid: str, handler: str = "bkoch") -> str:
        """Notify a complainant (S1, agreed) and ask for closure, in one signed commit."""
        self.ok("stakeholder", "add", cid, "--by", handler, "--role", "complainant")
        self.ok("stakeholder", "closure", cid, "S1", "--by", handler, "--agreement", "agreed")
        self.ok("request-closure", cid, "--by", handler, "--outcome", "resolved",
                "--summary", "Answer sent", "--lessons", "Track requests weekly")  # fmt: skip
        return self.commit(handler, f"Request closure of {cid}")

    def close(self, cid: str, approver: str = "fweber", *, by: str = "hlindqvist") -> str:
        self.ok("close", cid, "--by", by, "--approved-by", approver)
        return self.commit(by, f"Close {cid}")

    def case_path(self, cid: str) -> str:
        found = sorted(self.root.glob(f"cases/*/{cid}.md"))
        assert len(found) == 1, f"{cid}: {found}"
        return found[0].relative_to(self.root).as_posix()

    # ---- audit and log --------------------------------------------------------------------------

    def audit(self, *args: str) -> Result:
        return self.casetrail("audit", *args)

    def audit_json(self, *args: str) -> tuple[int, list[Finding], dict[str, object]]:
        result = self.audit("--format", "json", *args)
        assert result.code in (0, 1), str(result)
        data = json.loads(result.out)
        return result.code, findings(data), data


def findings(data: dict[str, object]) -> list[Finding]:
    """The findings of `audit --format json` (a "findings" list; "diagnostics" as in check)."""
    raw = data.get("findings", data.get("diagnostics"))
    assert isinstance(raw, list), f"no findings list in {sorted(data)}"
    return [
        Finding(
            code=str(f["code"]),
            severity=str(f["severity"]),
            commit=f.get("commit"),
            path=f.get("path"),
            message=str(f["message"]),
        )
        for f in raw
    ]


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved
