"""Per-case keys in use: find the office's key store, give a case its key, open a case with it,
and keep the key's wrappers in step with who the policy says may read the case.

A case with `case_key` in its front matter is encrypted to that key only. Reading it first
unwraps the key's private half from the key store with the reader's own identities; the key
lives in memory for the command and is never written anywhere. Who holds a wrapper follows
core/recipients.py's `case_readers`, so a reassignment, a closure or a departure changes
wrappers in the store and never the ciphertext in git.

Where the store is: $CASETRAIL_KEY_STORE, else `git config casetrail.keyStore` (a folder, local
or on a shared drive; a relative path is read from the repository's top folder). The office's policy (`key_store.per_case_keys`) decides whether new cases
get a key; each machine only says where the store is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from casetrail.core import keystore as ks
from casetrail.core import recipients
from casetrail.core.case import Case
from casetrail.core.config import Policy, Roster
from casetrail.shell import cipher, git
from casetrail.shell.keystore_dir import DirectoryKeyStore

STORE_VARIABLE = "CASETRAIL_KEY_STORE"
GIT_SETTING = "casetrail.keyStore"
HOW_TO_CONFIGURE = (
    f"set {STORE_VARIABLE} to the key store's folder, or run "
    f"`git config {GIT_SETTING} FOLDER` in the records repository"
)


class CaseKeyError(Exception):
    """A per-case key could not be used; the message says why and what to do (never a key)."""


_repository: list[Path] = []  # the records repository of this command, once known


def use_repository(root: Path) -> None:
    """Read `casetrail.keyStore` from this repository (the one `--root` names), not from
    wherever the command was started."""
    _repository[:] = [root]


def location(root: Path | None = None) -> Path | None:
    """The key store folder this machine names, or None."""
    given = os.environ.get(STORE_VARIABLE, "").strip()
    if given:
        return Path(given).expanduser()
    where = root or (_repository[0] if _repository else Path.cwd())
    try:
        value = git.config_value(where, GIT_SETTING)
    except OSError:  # no such folder: no setting
        return None
    if not value:
        return None
    found = Path(value).expanduser()
    if found.is_absolute():
        return found
    return Path(os.path.normpath(where.absolute() / found))  # relative: to the repository


def open_store(root: Path | None = None, why: str = "") -> DirectoryKeyStore:
    """The configured store, or a CaseKeyError that says how to configure one."""
    found = location(root)
    if found is None:
        raise CaseKeyError(f"{why}no key store is configured here; {HOW_TO_CONFIGURE}")
    return DirectoryKeyStore(found)


def uses_key(case: Case | Mapping[str, Any]) -> str | None:
    """The case's per-case recipient, if it has one."""
    data = case.data if isinstance(case, Case) else case
    key = data.get(recipients.CASE_KEY)
    return key if isinstance(key, str) else None


def _split_escrow(readers: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, str]]:
    people = {h: k for h, k in readers.items() if not ks.is_escrow(h)}
    escrows = sorted((h[len(ks.ESCROW_PREFIX) :], k) for h, k in readers.items() if ks.is_escrow(h))
    if not escrows:
        raise CaseKeyError(
            "the roster has no active escrow key; a per-case key must be wrapped to one, so "
            "that no case is lost with a person"
        )
    return people, escrows[0]


def create(
    store: DirectoryKeyStore, case_id: str, readers: Mapping[str, str], actor: str, at: datetime
) -> str:
    """A new per-case key for `case_id`, wrapped to `readers` (escrow included); its recipient."""
    people, escrow = _split_escrow(readers)
    try:
        return store.create(case_id, people, escrow, actor, at)
    except ks.KeyStoreError as error:
        raise CaseKeyError(f"key store {store.root}: {error}") from None


def check_case_key(case: Case) -> None:
    """Refuse to encrypt anything to a `case_key` the store does not hold for the case: a
    recipient written into the front matter by hand could be anyone's."""
    key = uses_key(case)
    if key is None:
        return
    store = open_store(why=f"case {case.id} is encrypted to a per-case key, but ")
    try:
        held = store.recipient(case.id)
    except ks.KeyStoreError as error:
        raise CaseKeyError(f"key store {store.root}: {error}") from None
    if held != key:
        raise CaseKeyError(
            f"case {case.id}: its case_key is not the key the store holds for it; refusing to "
            "encrypt anything to it (was the front matter edited by hand?)"
        )


def with_case_key(ring: cipher.Keyring, case: Case | Mapping[str, Any]) -> cipher.Keyring:
    """`ring` plus the case's per-case identity, unwrapped from the store with `ring`'s
    identities; `ring` itself for a case without a per-case key or when it holds no key (the
    decryption then says what is missing)."""
    key = uses_key(case)
    if key is None or not ring:
        return ring
    data = case.data if isinstance(case, Case) else case
    case_id = str(data.get("id", ""))
    if case_id in ring.cases:  # unwrapped for this command already (its documents, say)
        return ring
    store = open_store(why=f"case {case_id} is encrypted to a per-case key, but ")
    # Unwrapped on every use, never cached: a reader removed a moment ago must fail at once,
    # even inside one process (the demo, the tests).
    try:
        secret = store.unwrap(case_id, ring.identities)
    except ks.KeyStoreError as error:
        from casetrail.shell import destroying

        stopped = destroying.interrupted(_repository[0] if _repository else Path.cwd())
        halted = stopped.get(case_id)
        if halted is not None:
            raise CaseKeyError(
                f"case {case_id} is being destroyed: the execution of {halted} was "
                f"interrupted; finish it with `casetrail destroy execute {halted}`"
            ) from None
        raise CaseKeyError(f"key store {store.root}: {error}") from None
    parsed = cipher.load_identities(secret, f"the per-case key of {case_id}")
    del secret
    if len(parsed) != 1 or cipher.public_of(parsed[0]) != key:
        raise CaseKeyError(
            f"case {case_id}: the key store's key is not the one the case names "
            "(case_key); refusing to use it"
        )
    label = f"per-case key of {case_id} from {store.root}"
    return replace(
        ring,
        identities=[parsed[0], *ring.identities],
        sources=(*ring.sources, label),
        cases=(*ring.cases, case_id),
    )


@dataclass(frozen=True, slots=True)
class Sync:
    """What a sync changed in the store: readers given a wrapper, and readers whose wrapper was
    removed."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def words(self, case_id: str) -> str:
        parts = [f"wrapped to {', '.join(self.added)}"] if self.added else []
        parts += [f"unwrapped from {', '.join(self.removed)}"] if self.removed else []
        return f"case {case_id}'s key: " + "; ".join(parts) if parts else ""


def sync(
    store: DirectoryKeyStore,
    case: Case,
    policy: Policy,
    roster: Roster,
    ring: cipher.Keyring,
    actor: str,
    at: datetime,
    logged: Mapping[str, str] | None = None,
) -> Sync:
    """Make the store's wrappers of the case's key match the policy: wrap to readers who lack
    one (needs `ring` to unwrap the key), remove the wrappers of everyone else. A new escrow
    key is wrapped before an old one is removed, so the case never loses its escrow."""
    wanted = recipients.case_readers(case, policy, roster)
    try:
        present_readers = store.readers(case.id)
        if logged is None:  # one case: read the log for it; `keys sync` reads it once for all
            logged = store.all_wrapped().get(case.id, {})
        made_for = {reader: logged.get(reader, "") for reader in present_readers}
        # A reader whose age key changed in the roster (lost, compromised) gets a wrapper for
        # the new key, which replaces the one the old key could open.
        stale = {h for h, key in made_for.items() if h in wanted and key != wanted[h]}
        present = set(made_for) - stale
        missing = sorted(set(wanted) - present, key=lambda h: (not ks.is_escrow(h), h))
        if missing and not ring:
            raise CaseKeyError(
                f"case {case.id}: {', '.join(missing)} must be given the case's key, which "
                "needs a key that can unwrap it; give one with -i FILE or "
                "$CASETRAIL_AGE_KEY_FILE"
            )
        for holder in missing:
            store.wrap(case.id, holder, wanted[holder], ring.identities, actor, at)
        extra = sorted(set(made_for) - set(wanted))
        for holder in extra:
            store.remove(case.id, holder, actor, at)
    except ks.KeyStoreError as error:
        raise CaseKeyError(f"key store {store.root}: {error}") from None
    return Sync(tuple(missing), tuple(extra))
