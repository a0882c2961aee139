"""Wiring between the commands, the cipher and the pure re-sealing core: open a case's sections
with the user's keys, and re-encrypt what must change (text, or who may read it)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from casetrail.cli.main import UserError

if TYPE_CHECKING:
    from casetrail.core.case import Case, Entry
    from casetrail.core.document import CaseDocument
    from casetrail.core.engine import Config
    from casetrail.core.envelope import SectionPlaintext
    from casetrail.core.recipients import RecipientSet
    from casetrail.shell.cipher import Keyring

IDENTITY_OPTION = click.option(
    "-i",
    "--identity",
    "identity",
    multiple=True,
    metavar="FILE",
    help="An age or ssh-ed25519 key file ('-' reads standard input); repeatable. "
    "Also read: $CASETRAIL_AGE_KEY_FILE, the output of $CASETRAIL_AGE_KEY_CMD.",
)


def keyring(identity: tuple[str, ...]) -> Keyring:
    from casetrail.shell import cipher, keysource

    try:
        return cipher.keyring(keysource.gather(identity))
    except keysource.KeySourceError as error:
        raise UserError(str(error)) from None


def case_ring(ring: Keyring, case: Case) -> Keyring:
    """`ring` plus the case's per-case key when it has one (unwrapped from the key store)."""
    from casetrail.shell import casekeys

    try:
        return casekeys.with_case_key(ring, case)
    except casekeys.CaseKeyError as error:
        raise UserError(str(error)) from None


def section_sets(case: Case, config: Config) -> dict[str, RecipientSet]:
    """The recipient set each sensitive section of the case must be encrypted to now."""
    from casetrail.core import recipients

    spec = config.policy.case_types[case.type]
    return {
        title: recipients.for_section(case, title, config.policy, config.roster)
        for title in sorted(spec.sensitive_titles)
    }


def check_case_key(case: Case) -> None:
    """Before encrypting to a case's own key: refuse one the store does not hold for it."""
    from casetrail.shell import casekeys

    try:
        casekeys.check_case_key(case)
    except casekeys.CaseKeyError as error:
        raise UserError(str(error)) from None


def documents_set(case: Case, config: Config) -> RecipientSet:
    from casetrail.core import recipients

    return recipients.for_section(case, recipients.ATTACHMENTS, config.policy, config.roster)


def open_sections(
    document: CaseDocument, case: Case, config: Config, ring: Keyring, only: str | None = None
) -> dict[str, SectionPlaintext]:
    """The plaintext of each encrypted section (or of section `only`), bindings checked."""
    from casetrail.core import sealed
    from casetrail.shell import cipher

    titles = config.policy.case_types[case.type].sensitive_titles
    if only is not None:
        titles = titles & {only}
    if sealed.sensitive_sections(document, titles):
        ring = case_ring(ring, case)
    return sealed.open_sections(
        document, titles, lambda block, title: cipher.decrypt_section(block, ring, case.id, title)
    )


def encrypt(value: SectionPlaintext, wanted: RecipientSet) -> str:
    from casetrail.shell import cipher

    return cipher.encrypt_section(value, wanted.keys)


@dataclass
class Resealed:
    """A case's new text and the document files to replace first (path, bytes)."""

    text: str
    changed: tuple[str, ...] = ()
    rekeyed: tuple[str, ...] = ()
    documents: list[tuple[Path, bytes]] = field(default_factory=list)
    keysets: dict[int, str] = field(default_factory=dict)  # attachment index -> new keyset


def reseal(
    root: Path,
    rel: str,
    document: CaseDocument,
    case: Case,
    config: Config,
    ring: Keyring,
    texts: Mapping[str, str] | None = None,
    current: Mapping[str, SectionPlaintext] | None = None,
) -> Resealed:
    """The case re-encrypted where its texts or recipient sets changed; documents whose
    recorded keyset is not the policy's are re-encrypted too (returned, not written)."""
    from casetrail.core import sealed

    check_case_key(case)
    if current is None or case.entries("attachments"):
        ring = case_ring(ring, case)  # once, for the sections and every document
    opened = current if current is not None else open_sections(document, case, config, ring)
    outcome = sealed.reseal(document, opened, texts or {}, section_sets(case, config), encrypt)
    text = f"---\n{document.front_matter_text}---\n{outcome.body}"
    result = Resealed(text, outcome.changed, outcome.rekeyed)
    _reseal_documents(root, rel, case, config, ring, result)
    return result


def _reseal_documents(
    root: Path, rel: str, case: Case, config: Config, ring: Keyring, result: Resealed
) -> None:
    from casetrail.shell import cipher

    wanted = documents_set(case, config)
    folder = (root / rel).with_suffix("")
    for index, entry in enumerate(case.entries("attachments")):
        if entry.get("keyset") == wanted.fingerprint:
            continue
        path = folder / entry["name"]
        plain = open_document(path, read_document(path, rel), entry, case_ring(ring, case), rel)
        result.documents.append((path, cipher.encrypt_file(plain, wanted.keys)))
        result.keysets[index] = wanted.fingerprint


def read_document(path: Path, rel: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise UserError(f"{rel}: the file of attachment {path.name} is missing") from None


def open_document(path: Path, data: bytes, entry: Entry, ring: Keyring, rel: str) -> bytes:
    """A document's plaintext, refused unless it has the size and SHA-256 its case records: the
    binding of a whole-file document, which has no header of its own."""
    from casetrail.shell import cipher

    plain = cipher.decrypt_file(data, ring, f"attachment {path.name}")
    if len(plain) != entry["size"] or hashlib.sha256(plain).hexdigest() != entry["sha256"]:
        raise UserError(
            f"attachment {path.name} does not match the size and SHA-256 that {rel} records; "
            "it may have been swapped; refusing to use it"
        )
    return plain


def recipients_change(before: Case, after: Case, config: Config) -> list[str]:
    """What a step changes about who may read the case, in words (empty: nothing)."""
    old, new = section_sets(before, config), section_sets(after, config)
    if after.entries("attachments"):
        old["documents"], new["documents"] = (
            documents_set(before, config),
            documents_set(after, config),
        )
    grouped: dict[str, list[str]] = {}  # one sentence per distinct change, listing its parts
    for title, wanted in new.items():
        was = old.get(title)
        if was is None or was.fingerprint == wanted.fingerprint:
            continue
        gained = sorted(set(wanted.holders) - set(was.holders))
        lost = sorted(set(was.holders) - set(wanted.holders))
        words = [f"adds {', '.join(gained)}"] if gained else []
        words += [f"removes {', '.join(lost)}"] if lost else []
        grouped.setdefault("; ".join(words) or "keys changed", []).append(title)
    return [f"{', '.join(titles)}: {words}" for words, titles in grouped.items()]


def resealed_for(
    root: Path,
    rel: str,
    text: str,
    before: Case,
    config: Config,
    identity: tuple[str, ...],
) -> tuple[str, list[tuple[Path, bytes]], str]:
    """`text` (a step's result) re-encrypted for its recipients if the step changed them:
    the new text, the documents to write first, and a sentence for the user."""
    from casetrail.core import document
    from casetrail.core.case import Case

    parsed, _ = document.parse(text.encode())
    if parsed is None or parsed.front_matter.get("type") not in config.policy.case_types:
        return text, [], ""  # validation reports it
    after = Case(parsed.front_matter)
    changes = recipients_change(before, after, config)
    if not changes:
        return text, [], ""
    ring = keyring(identity)
    if not ring:
        from casetrail.shell.keysource import describe_sources

        raise UserError(
            "this step changes who may read the case ("
            + "; ".join(changes)
            + "), so its sections are re-encrypted, which needs a key that can read them; "
            + describe_sources()
        )
    result = reseal(root, rel, parsed, after, config, ring)
    count = len(result.rekeyed) + len(result.changed) + len(result.documents)
    return (
        with_keysets(rel, result),
        result.documents,
        f"re-encrypted {count} part(s) for: " + "; ".join(changes),
    )


def with_keysets(rel: str, result: Resealed) -> str:
    """The re-sealed text with the new keysets of re-encrypted documents in its front matter."""
    from casetrail.core import document, sealed, yamledit

    if not result.keysets:
        return result.text
    resealed, _ = document.parse(result.text.encode())
    assert resealed is not None
    fast = sealed.replace_keysets(resealed, result.keysets)
    if fast is not None:
        return fast
    ops = [yamledit.Set(("attachments", i, "keyset"), k) for i, k in result.keysets.items()]
    try:
        return resealed.with_front_matter(yamledit.apply(resealed.front_matter_text, ops))
    except yamledit.EditError as error:
        raise UserError(f"{rel}: {error}") from None
