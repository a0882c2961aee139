"""`casetrail setup`, step 2: commit signing with the person's SSH key (gpg.format ssh,
user.signingkey, commit.gpgsign, tag.gpgsign).

The person is found in schema/roster.yaml by the e-mail git commits with; the key must be one
of theirs there, valid today, with its private half on this machine. No key material is printed
or read beyond public halves: a private key is only looked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from casetrail.cli.setup_common import GIT_TRUE, ROSTER, Report, ensure_config

if TYPE_CHECKING:
    from casetrail.core.config import Person, Roster
    from casetrail.core.signers import SigningKey

_MAX_PUBLIC_KEY_FILE = 16 * 1024


@dataclass(frozen=True)
class _Key:
    """A signing key as user.signingkey would name it; only its public half is ever read."""

    value: str  # what user.signingkey holds
    public: str  # '<type> <base64>', canonical
    private: Path | None  # None: a literal key, signed with through the ssh-agent
    shown: str  # how messages name it

    @property
    def fingerprint(self) -> str:
        from casetrail.core import sshsig

        return sshsig.fingerprint(self.public)


def _is_literal(value: str) -> bool:
    text = value.removeprefix("key::")
    return text.startswith(("ssh-", "ecdsa-", "sk-")) and " " in text.strip()


def _key(value: str, given: str | None = None) -> _Key | str:
    """The key user.signingkey = `value` names (a private key path, its .pub, or a literal
    `key::` public key), or why it cannot be used."""
    from casetrail.core import sshsig

    name = given or value
    if _is_literal(value):
        try:
            public = sshsig.canonical_key(value.removeprefix("key::"))
        except sshsig.SignatureError:
            return "user.signingkey holds a literal key that is not an SSH public key"
        return _Key(value, public, None, f"the literal key {sshsig.fingerprint(public)}")
    path = Path(os.path.expanduser(value))
    private = path.with_name(path.name[:-4]) if path.name.endswith(".pub") else path
    public_file = private.with_name(private.name + ".pub")
    try:
        with public_file.open("rb") as handle:
            data = handle.read(_MAX_PUBLIC_KEY_FILE)
    except FileNotFoundError:
        if path == public_file or not private.exists():
            return f"{name}: no such file"
        return (
            f"{name}: its public half {public_file} is missing "
            f"(make it with: ssh-keygen -y -f {private} > {public_file})"
        )
    except OSError as error:
        return f"{public_file}: cannot read it ({error.strerror})"
    try:
        public = sshsig.canonical_key(data.decode("utf-8", "replace").strip().split("\n")[0])
    except sshsig.SignatureError:
        return f"{public_file}: not an SSH public key"
    return _Key(str(private.absolute()), public, private, name)


@dataclass(frozen=True)
class _Signing:
    """What the roster says about keys, at this moment."""

    keys: list[SigningKey]
    now: datetime
    timezone: str

    def owners(self, key: _Key) -> list[SigningKey]:
        return [entry for entry in self.keys if entry.key == key.public]

    def problem(self, key: _Key, person: Person) -> str | None:
        """Why `key` cannot sign for `person` now, or None if it can: by the same rules as
        `casetrail audit` (core.signers.authorise)."""
        from casetrail.core import signers

        named = f"{key.shown} ({key.fingerprint})"
        owners = self.owners(key)
        if not owners:
            return (
                f"{named} is not in {ROSTER}; ask the records office to add its public half "
                f"to {person.handle}'s signing_keys"
            )
        if all(entry.handle != person.handle for entry in owners):
            return f"{named} is the key of {_owners(owners)} in {ROSTER}, not of {person.handle}"
        verdict = signers.authorise(self.keys, key.public, self.now, person.email, self.timezone)
        if not verdict.ok:
            return f"{named}: {verdict.problem}; use a current key"
        if key.private is not None and not key.private.exists():
            return f"{named}: its private half {key.private} is not on this machine"
        return None

    def current(self, person: Person) -> list[SigningKey]:
        """The person's keys that sign now, the most recent first."""
        from casetrail.core import signers

        return sorted(
            (
                entry
                for entry in self.keys
                if entry.handle == person.handle
                and signers.authorise(
                    self.keys, entry.key, self.now, person.email, self.timezone
                ).ok
            ),
            key=lambda entry: entry.valid_from,
            reverse=True,
        )


def _owners(entries: list[SigningKey]) -> str:
    return ", ".join(sorted({f"{e.handle} <{e.email}>" for e in entries}))


def _committer_email(root: Path) -> tuple[str | None, str]:
    """The e-mail git commits with here, and where it comes from (git's own precedence)."""
    from casetrail.shell import git

    if os.environ.get("GIT_COMMITTER_EMAIL"):
        return os.environ["GIT_COMMITTER_EMAIL"], "GIT_COMMITTER_EMAIL"
    for key in ("committer.email", "user.email"):
        value = git.config_value(root, key)
        if value:
            return value, f"git config {key}"
    if os.environ.get("EMAIL"):
        return os.environ["EMAIL"], "EMAIL"
    return None, ""


def _roster_emails(roster: Roster, limit: int = 12) -> str:
    emails = sorted(p.email for p in roster.people.values() if p.left_at is None)
    shown = ", ".join(emails[:limit])
    return shown if len(emails) <= limit else f"{shown} and {len(emails) - limit} more"


def _ssh_keys(person: Person, signing: _Signing) -> tuple[_Key | None, list[str]]:
    """A key of `person`'s that signs now, among ~/.ssh/*.pub with its private half beside
    it (the most recent if several); and why the roster's keys found there cannot be used."""
    try:
        names = sorted((Path.home() / ".ssh").glob("*.pub"))
    except OSError:
        return None, []
    current = [entry.key for entry in signing.current(person)]
    found: list[tuple[int, _Key]] = []
    problems = []
    for public in names:
        key = _key(str(public), f"~/.ssh/{public.name}")
        if isinstance(key, str):
            continue
        why = signing.problem(key, person)
        if why is None:
            found.append((current.index(key.public), key))
        elif signing.owners(key):  # keys nobody has in the roster (for other services) are no news
            problems.append(why)
    return (min(found, key=lambda item: item[0])[1] if found else None), problems


def _person(report: Report, root: Path, roster: Roster) -> Person | None:
    """The person git commits as here, found in the roster by e-mail."""
    email, source = _committer_email(root)
    person = roster.by_email(email) if email else None
    if email is None:
        report.lack(
            f"user.email: git has none here; set yours as it stands in {ROSTER} "
            "(git config user.email YOU@EXAMPLE.ORG)"
        )
    elif person is None:
        fix = (
            f"set yours with {source}"
            if source.startswith("git config")
            else f"set {source} to yours or unset it"
        )
        report.lack(
            f"user.email: {email} (from {source}) is not anyone's in {ROSTER}, whose people "
            f"are {_roster_emails(roster)}; {fix}, or ask the records office to add you"
        )
    else:
        report.ok(f"user.email {email} is {person.handle} in {ROSTER}")
    return person


def _choose_key(
    root: Path, person: Person | None, signing: _Signing, given: str | None
) -> _Key | str:
    """The key to sign with: --signing-key, else the one git config names, else one of the
    person's in ~/.ssh; or why there is none."""
    from casetrail.core import sshsig
    from casetrail.shell import git

    if given is not None:
        key = _key(given, f"--signing-key {given}")
        if isinstance(key, str):
            return key
        if person is None:
            owners = signing.owners(key)
            whose = f" (it is the key of {_owners(owners)})" if owners else ""
            return f"{key.shown} waits for your user.email to be in {ROSTER}{whose}"
        return signing.problem(key, person) or key
    if person is None:
        return f"waits for your user.email to be in {ROSTER}"
    existing = git.config_value(root, "user.signingkey")
    why = "none set"
    if existing:
        key = _key(existing, f"the one set ({_display(existing)})")
        why = key if isinstance(key, str) else signing.problem(key, person) or ""
        if isinstance(key, _Key) and not why:
            return _Key(existing, key.public, key.private, key.shown)
    found, problems = _ssh_keys(person, signing)
    if found is not None:
        return found
    seen = "".join(f"; {problem}" for problem in problems)
    current = [sshsig.fingerprint(entry.key) for entry in signing.current(person)]
    return (
        f"{why}{seen}; none of ~/.ssh/*.pub is a current key of {person.handle}'s with its "
        f"private half beside it ({person.handle}'s current keys in the roster: "
        f"{', '.join(current) or 'none'}); pass --signing-key FILE, or make a key "
        "(ssh-keygen -t ed25519) and ask the records office to add its .pub to your "
        f"signing_keys in {ROSTER}"
    )


def set_up_signing(
    report: Report, root: Path, roster: Roster, timezone: str, given: str | None
) -> None:
    """The person, the key they sign with (`given`: --signing-key), and signing turned on."""
    from casetrail.core import signers
    from casetrail.shell import git

    signing = _Signing(signers.signing_keys(roster.raw), _now(timezone), timezone)
    person = _person(report, root, roster)
    ensure_config(report, root, "gpg.format", "ssh")
    chosen = _choose_key(root, person, signing, given)
    if isinstance(chosen, _Key):
        owner = f"{person.handle}'s key" if person else "key"
        _signing_key_config(
            report, root, chosen.value, f"{_display(chosen.value)} ({chosen.fingerprint}, {owner})"
        )
    else:
        report.lack(f"git config user.signingkey: {chosen}")
    for key in ("commit.gpgsign", "tag.gpgsign"):
        current = git.local_config_value(root, key)
        if isinstance(chosen, _Key) or (current or "").lower() in GIT_TRUE:
            ensure_config(report, root, key, "true")
        else:
            report.lack(f"git config {key} = true: waits for a signing key (above)")


def _display(value: str) -> str:
    """user.signingkey as printed: a path as it is, a literal key by its fingerprint only."""
    from casetrail.core import sshsig

    if _is_literal(value):
        try:
            return f"key::{sshsig.fingerprint(value.removeprefix('key::'))}"
        except sshsig.SignatureError:
            return "key::(unreadable)"
    return value


def _signing_key_config(report: Report, root: Path, value: str, shown: str) -> None:
    from casetrail.shell import git

    current = git.local_config_value(root, "user.signingkey")
    if current == value:
        report.ok(f"git config user.signingkey = {shown}")
        return
    was = "" if current is None else f" (was {_display(current)})"
    if report.change("set", f"git config user.signingkey = {shown}{was}"):
        git.set_local_config(root, "user.signingkey", value)


def _now(timezone: str) -> datetime:
    """This moment (or the simulated clock of demos and tests), in the office's zone."""
    from zoneinfo import ZoneInfo

    from casetrail.cli.common import NOW_VARIABLE, parse_moment

    zone = ZoneInfo(timezone)
    simulated = os.environ.get(NOW_VARIABLE)
    moment = parse_moment(simulated, NOW_VARIABLE) if simulated else datetime.now(zone)
    return moment.astimezone(zone)


def cannot_sign_as(root: Path, roster: Roster, person: Person, timezone: str) -> str | None:
    """Why a commit made in this clone now would not be `person`'s signed commit (committer
    e-mail, signing turned on, the key `user.signingkey` names being theirs and valid), or None.
    For a step that cannot be undone once done, such as erasing keys, and is then committed."""
    from casetrail.core import signers
    from casetrail.shell import git

    email, source = _committer_email(root)
    if email != person.email:
        return (
            f"git would commit as {email or 'nobody'} ({source or 'no e-mail set'}), not as "
            f"{person.handle} ({person.email}); run it in {person.handle}'s own set-up clone"
        )
    if (git.config_value(root, "gpg.format") or "") != "ssh" or (
        git.config_value(root, "commit.gpgsign") or ""
    ).lower() not in GIT_TRUE:
        return "commits here are not signed with an SSH key; run casetrail setup first"
    value = git.config_value(root, "user.signingkey")
    if not value:
        return "git config user.signingkey is not set; run casetrail setup first"
    key = _key(value)
    if isinstance(key, str):
        return key
    signing = _Signing(signers.signing_keys(roster.raw), _now(timezone), timezone)
    return signing.problem(key, person)
