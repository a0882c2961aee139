"""Readable diffs and merges of case files: the two commands git runs, `casetrail textconv`
(diff.casetrail.textconv) and `casetrail merge-driver` (merge.casetrail), and what a clone needs
for them (applied by `casetrail setup`, in cli/setup.py).

Decrypted text only ever goes to git through a pipe (textconv, with git's textconv cache kept
off) or stays in memory (the merge driver merges plaintext in memory and writes only armored
blocks). Both git commands are hidden from `casetrail --help`: people run `setup`, git runs them.
"""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.main import UserError, repository_root

if TYPE_CHECKING:
    from casetrail.core.engine import Config
    from casetrail.core.merge3 import Sealed, Unresolved
    from casetrail.shell.cipher import Keyring

DRIVER = "casetrail"
CASE_FILES = "cases/**/*.md"


# --- textconv ------------------------------------------------------------------------------


def _stdout_is_a_file() -> bool:
    """True if standard output is a regular file: decrypted text must not land on disk."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False  # captured in memory (tests): not a file
    try:
        return stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError:
        return False


def _keyring() -> tuple[Keyring | None, str]:
    """The user's keys, or None and why not; never raises (a diff must not fail)."""
    from casetrail.shell import cipher, keysource

    try:
        ring = cipher.keyring(keysource.gather())
    except (keysource.KeySourceError, cipher.CipherError) as error:
        return None, f"no key here ({error})"
    return (ring, "") if ring else (None, "no key here")


def readable(data: bytes) -> bytes:
    """The case file with each sealed section shown as its decrypted text where a key here can
    read it (and the block is bound to this case and section), else as a one-line summary.
    Anything that does not read as a case comes back unchanged."""
    from casetrail.core import document, merge3

    if len(data) > document.MAX_FILE_BYTES:
        return data
    parsed, _ = document.parse(data)
    if parsed is None:
        return data
    blocks = merge3.sealed_blocks(parsed) or []
    if not blocks:
        return data
    ring, why = _keyring()
    if ring is not None and _stdout_is_a_file():
        ring, why = None, "not decrypted: standard output is a file"
    if ring is not None:
        from casetrail.shell import casekeys

        try:
            ring = casekeys.with_case_key(ring, parsed.front_matter)
        except casekeys.CaseKeyError as error:
            ring, why = None, f"not decrypted: {error}"
    case_id = str(parsed.front_matter.get("id", ""))
    shown = merge3.render(parsed.text, blocks, lambda s: _shown(s, case_id, ring, why))
    return shown.encode("utf-8")


def _shown(sealed: Sealed, case_id: str, ring: Keyring | None, why: str) -> str:
    from casetrail.core import envelope
    from casetrail.shell import cipher

    try:
        readers = envelope.parse_armor(sealed.block).readers
    except envelope.EnvelopeError:
        return sealed.block  # not a canonical block: show what is there (check reports it)
    digest = hashlib.sha256(sealed.block.encode("ascii")).hexdigest()[:12]
    summary = f"{readers}, block {digest}"
    if ring is None:
        return f"[{summary}; {why}]"
    try:
        value = cipher.decrypt_section(sealed.block, ring, case_id, sealed.title)
    except cipher.CipherError as error:
        if isinstance(error, cipher.NoMatchingKey):
            return f"[{summary}; none of the keys here can read it]"
        return f"[{summary}; not shown: {error}]"
    head = f"[{summary}; decrypted: revision {value.revision}, keyset {value.keyset or '-'}]"
    return f"{head}\n{value.text.rstrip(chr(10))}"


@click.command(hidden=True)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def textconv(file: str) -> int:
    """Print a case file for `git diff`: sealed sections decrypted where a key allows.

    git runs this (diff.casetrail.textconv, set by `casetrail setup`). The case comes from the
    front matter, never the file name (git passes a temporary file). A file that does not read
    as a case is printed as it is; this command never fails a diff over a case's content."""
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise UserError(f"{file}: cannot read it ({error.strerror})") from None
    try:
        out = readable(data)
    except Exception:  # never a traceback in a diff; the file as it is holds no plaintext
        out = data
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


# --- merge driver --------------------------------------------------------------------------


@dataclass
class _Resolver:
    """Merges a sealed section changed on both sides, if a key here can read all versions;
    keys and the office's config are loaded on first need (most merges need neither)."""

    ctx: click.Context
    _ring: tuple[Keyring | None, str] | None = None
    _config: Config | str | None = None

    def ring(self) -> tuple[Keyring | None, str]:
        if self._ring is None:
            self._ring = _keyring()
        return self._ring

    def config(self) -> Config | str:
        if self._config is None:
            from casetrail.shell import index

            try:
                self._config, _ = index.load_config(repository_root(self.ctx))
            except Exception as error:
                self._config = f"cannot read the office's schema/ ({error})"
        return self._config

    def __call__(
        self,
        title: str,
        base: str | None,
        ours: str,
        theirs: str,
        front_matter: Mapping[str, Any] | None,
    ) -> str | Unresolved:
        from casetrail.core.merge3 import Unresolved
        from casetrail.shell import cipher

        ring, why = self.ring()
        if ring is None:
            return Unresolved(f"{why} to decrypt it")
        if front_matter is None:
            return Unresolved("the front matter conflicts too, so who may read it is not known")
        config = self.config()
        if isinstance(config, str):
            return Unresolved(config)
        try:
            return self._merge(title, base, ours, theirs, dict(front_matter), config, ring)
        except cipher.CipherError as error:
            return Unresolved(str(error))
        except Exception as error:  # never a traceback, never the text in a message
            return Unresolved(f"could not merge it ({type(error).__name__})")

    def _merge(
        self,
        title: str,
        base: str | None,
        ours: str,
        theirs: str,
        front_matter: dict[str, Any],
        config: Config,
        ring: Keyring,
    ) -> str | Unresolved:
        from casetrail.core import envelope, merge3, recipients
        from casetrail.core.case import Case
        from casetrail.shell import casekeys, cipher

        if not config.fast_check(front_matter):
            return merge3.Unresolved("the merged front matter is not valid (casetrail check)")
        case = Case(front_matter)
        if case.type not in config.policy.case_types:
            return merge3.Unresolved(f"case type {case.type!r} is not in the policy")
        try:
            ring = casekeys.with_case_key(ring, case)
            casekeys.check_case_key(case)
        except casekeys.CaseKeyError as error:
            return merge3.Unresolved(str(error))
        was = cipher.decrypt_section(base, ring, case.id, title) if base is not None else None
        mine = cipher.decrypt_section(ours, ring, case.id, title)
        yours = cipher.decrypt_section(theirs, ring, case.id, title)
        text = merge3.merge_lines(was.text if was else "", mine.text, yours.text)
        if text is None:
            return merge3.Unresolved("both sides changed the same lines of its text")
        wanted = recipients.for_section(case, title, config.policy, config.roster)
        for value, block in ((mine, ours), (yours, theirs)):
            if value.text == text and value.keyset == wanted.fingerprint:
                return block  # one side already holds the merge, for the right readers
        revision = max(mine.revision, yours.revision) + 1
        value = envelope.SectionPlaintext(case.id, title, revision, text, wanted.fingerprint)
        return cipher.encrypt_section(value, wanted.keys)


@click.command("merge-driver", hidden=True)
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
@click.argument("path", default="")
@click.pass_context
def merge_driver(ctx: click.Context, base: str, ours: str, theirs: str, path: str) -> int:
    """Merge three versions of a case file for git (merge.casetrail.driver): BASE OURS THEIRS
    are git's %O %A %B, PATH its %P. The result replaces OURS; exit 0 clean, 1 conflicts.

    Front matter and plain sections merge as text (git merge-file). A sealed section changed
    on one side is taken from it; changed on both, it is decrypted, merged in memory and
    re-encrypted if a key here reads every version, else left as a conflict of the two
    armored blocks. Plaintext is never written."""
    from casetrail.core import merge3
    from casetrail.shell import git, repo

    try:
        versions = [Path(name).read_bytes() for name in (base, ours, theirs)]
    except OSError as error:
        raise UserError(f"cannot read a version to merge ({error.strerror})") from None
    name = path or ours
    resolver = _Resolver(ctx)
    try:
        old, mine, yours = versions
        result = merge3.merge_case(old, mine, yours, git.merge_file, resolver)
        data, conflicts, notes = result.data, result.conflicts, list(result.notes)
    except git.GitError:
        raise
    except Exception as error:  # a bug: fall back to git's own merge of the ciphertext
        data, conflicts = git.merge_file(versions[0], versions[1], versions[2])
        notes = [f"merged as plain text only ({type(error).__name__}); please report this"]
    repo.atomic_write(Path(ours), data)
    for note in notes:
        click.echo(f"casetrail: {name}: {note}", err=True)
    if conflicts:
        click.echo(f"casetrail: {name}: {conflicts} conflict(s) left to resolve", err=True)
    return 1 if conflicts else 0


# --- what setup installs for them ---------------------------------------------------------


def command_prefix() -> str:
    """How git calls casetrail: this interpreter, by absolute path, with `-m casetrail`. It
    works whatever PATH git runs with (GUI clients, IDEs, a shell without the virtualenv) and
    always runs the casetrail this clone was set up with; if the virtualenv moves, `casetrail
    setup --check` reports the stale path and `casetrail setup` rewrites it."""
    return f"{shlex.quote(sys.executable)} -m casetrail"


def wanted_config() -> dict[str, str]:
    prefix = command_prefix()
    return {
        f"diff.{DRIVER}.textconv": f"{prefix} textconv",
        f"diff.{DRIVER}.cachetextconv": "false",
        f"merge.{DRIVER}.name": "casetrail: case files, sealed sections merged with a key",
        f"merge.{DRIVER}.driver": f"{prefix} merge-driver %O %A %B %P",
    }


def _attributes(text: str) -> dict[str, set[str]]:
    """Pattern -> every attribute given to it on some line of a .gitattributes text."""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            found.setdefault(words[0], set()).update(words[1:])
    return found


def missing_attributes(text: str) -> list[str]:
    """The .gitattributes lines a records repository still needs."""
    given = _attributes(text)
    cases = given.get(CASE_FILES, set())
    wanted = [a for a in (f"diff={DRIVER}", f"merge={DRIVER}") if a not in cases]
    if not any(a.startswith("eol=") for a in cases):
        wanted = ["text", "eol=lf", *wanted]  # check refuses CRLF (CT002); git agrees
    lines = [f"{CASE_FILES} {' '.join(wanted)}"] if wanted else []
    age = given.get("*.age", set())
    if "binary" not in age and not {"-diff", "-merge", "-text"} <= age:
        lines.append("*.age binary")
    return lines


def ignores_cache(text: str) -> bool:
    return any(
        line.strip() in {".cache", ".cache/", "/.cache", "/.cache/"} for line in text.splitlines()
    )
