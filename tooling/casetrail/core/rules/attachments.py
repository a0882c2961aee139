"""Attachments (SOP 001 §4.2): each listed document is a binary age file in the case's folder,
encrypted to the documents' recipients, and the folder holds nothing else.

The files are not part of the case file's blob, so these rules run after the per-file stage,
on what the shell found in the folders (TreeContext.attachments) and on each case's summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from casetrail.core.diagnostics import Finding
from casetrail.core.rules.base import CaseSummary, Rule, StoredFile, TreeContext
from casetrail.core.rules.registry import documented, register

MISSING, UNLISTED, NOT_AGE, RECIPIENTS, NAME, ORPHAN = (
    "CT406",
    "CT407",
    "CT408",
    "CT409",
    "CT410",
    "CT411",
)
_REKEY = (
    "re-encrypt it for the current recipients with 'casetrail rekey CASE' (needs a key that "
    "can read it)"
)


def folder_of(case_path: str) -> str:
    """cases/<year>/<id>.md keeps its documents in cases/<year>/<id>/."""
    return case_path.removesuffix(".md")


def _describe(stanzas: Counter[str]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(stanzas.items())) or "none"


def _expected(stanzas: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """The sorted stanza types of an encryption to the documents' recipients."""
    if len(stanzas) == 1:
        return (stanzas[0][0],) * stanzas[0][1]
    return tuple(sorted(kind for kind, count in stanzas for _ in range(count)))


def _entries(summary: CaseSummary, files: dict[str, StoredFile]) -> list[tuple[str, Finding]]:
    """CT406 and CT410 for the listed entries (at their lines in the case file)."""
    out = []
    seen: set[str] = set()
    for index, (name, date) in enumerate(summary.attachments):
        at = ("attachments", index, "name")
        if name in seen:
            out.append(
                (
                    summary.path,
                    Finding(
                        NAME,
                        f"attachment '{name}' is listed twice",
                        at=at,
                        hint="each document is one file and one entry; remove the repeated one",
                    ),
                )
            )
        seen.add(name)
        if not name.startswith(f"{date}-"):
            out.append(
                (
                    summary.path,
                    Finding(
                        NAME,
                        f"attachment '{name}' does not start with its date {date}",
                        at=at,
                        hint="documents are named <date>-<slug>.<ext>.age after the entry's "
                        "date; rename the file and the entry together (git mv)",
                    ),
                )
            )
        if name not in files:
            out.append(
                (
                    summary.path,
                    Finding(
                        MISSING,
                        f"attachment '{name}' is listed but {folder_of(summary.path)}/{name} "
                        "does not exist",
                        at=at,
                        hint="add the encrypted file (it may not have been committed), or "
                        "remove the entry if the document was withdrawn",
                    ),
                )
            )
    return out


def _files(summary: CaseSummary, files: dict[str, StoredFile]) -> list[tuple[str, Finding]]:
    """CT407-CT409 for the files in the folder (at the files themselves)."""
    out = []
    listed = {name for name, _ in summary.attachments}
    expected: tuple[str, ...] | None = None
    for name, file in files.items():
        if name not in listed:
            out.append(
                (
                    file.path,
                    Finding(
                        UNLISTED,
                        f"{file.path} is not listed in the attachments of {summary.path}",
                        hint="list it in the case's attachments (name, date, kind, size, "
                        "sha256, added_by), or delete it",
                    ),
                )
            )
        if file.problem:
            out.append(
                (
                    file.path,
                    Finding(
                        NOT_AGE,
                        f"{file.path} {file.problem}",
                        hint="attachments are stored only as binary age files encrypted to "
                        "the case's recipients; delete this file and add the document again, "
                        "encrypted",
                    ),
                )
            )
            continue
        if name not in listed:
            continue
        if expected is None:
            expected = _expected(summary.document_stanzas)
        if file.stanza_types != expected:
            found, wanted = Counter(file.stanza_types), Counter(expected)
            out.append(
                (
                    file.path,
                    Finding(
                        RECIPIENTS,
                        f"{file.path} is encrypted for {len(file.stanza_types)} recipients "
                        f"({_describe(found)}); the policy gives {len(expected)} "
                        f"({_describe(wanted)}) for the documents of this case",
                        hint=_REKEY,
                    ),
                )
            )
    return out


def attachments_match_folders(tree: TreeContext) -> Iterator[tuple[str, Finding]]:
    """Every attachment finding, in one pass over the cases and the folders."""
    scan = tree.attachments
    if scan is None:
        return
    folders = scan.folders
    judged: set[str] = set()
    for summary in tree.cases:
        folder = folder_of(summary.path)
        judged.add(folder)
        files = folders.get(folder, {})
        if summary.attachments:
            yield from _entries(summary, files)
        if files:
            yield from _files(summary, files)
    for folder, files in sorted(folders.items()):
        if f"{folder}.md" in tree.tombstones:
            yield (
                folder,
                Finding(
                    ORPHAN,
                    f"{folder}/ holds {len(files)} file(s) beside a destroyed case's tombstone",
                    hint="a destroyed case keeps no documents: remove the folder",
                ),
            )
            continue
        if folder in judged or f"{folder}.md" in scan.cases:
            continue  # its case file did not parse: check reports that instead
        yield (
            folder,
            Finding(
                ORPHAN,
                f"{folder}/ holds {len(files)} file(s) but there is no case file {folder}.md",
                hint="attachments live in the folder named after their case "
                "(cases/<year>/<id>/); move them there or restore the case file",
            ),
        )


# Stage "repository", like CT013 and CT014: these judge files on disk beside the case file,
# which the corpus of single case files cannot hold; tests/test_tree_files.py shows each.
register(
    Rule(
        MISSING,
        "attachment-missing",
        "A listed attachment has no file in the case's folder.",
        stage="repository",
        check_tree=attachments_match_folders,
    )
)
documented(
    UNLISTED,
    "attachment-unlisted",
    "A file in a case's attachment folder is not listed.",
    "repository",
)
documented(
    NOT_AGE,
    "attachment-not-encrypted",
    "An attachment is not a binary age file with recipient-key stanzas (plaintext, armored, "
    "passphrase).",
    "repository",
)
documented(
    RECIPIENTS,
    "attachment-recipients",
    "An attachment's recipient stanzas do not match the recipients the policy gives documents.",
    "repository",
)
documented(
    NAME,
    "attachment-name",
    "An attachment's name does not start with its date, or two entries share a name.",
    "repository",
)
documented(
    ORPHAN,
    "attachment-orphan-folder",
    "A folder cases/<year>/<X>/ has no case file cases/<year>/<X>.md.",
    "repository",
)
