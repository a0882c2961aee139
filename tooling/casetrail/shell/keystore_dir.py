"""The directory key store: a folder (local or on a shared drive) the records office controls.

    <root>/cases/<case-id>/recipient             the per-case public key (age1...)
    <root>/cases/<case-id>/wrapped/<reader>.age  the per-case identity, age-encrypted (binary)
                                                 to one reader (`escrow.NAME.age` for escrow)
    <root>/log.jsonl                             append-only, hash-chained change log
    <root>/log.head                              entry count and hash of its last line

The per-case private key exists only in memory and inside wrappers; it is never written in
clear, not even to a temporary file. Every path is walked from the root one component at a
time with O_NOFOLLOW and relative to the parent's descriptor, so a symbolic link anywhere in the
store is refused and a hostile store folder cannot make this module read or write outside it.

Crash order (each file write: temporary file in the same folder, fsync, os.replace, fsync the
folder). One rename is each change's commit point; the log line follows it, then the head:

- create: build `cases/.creating-<id>-<random>/` (wrappers, then recipient), then rename it to
  `cases/<id>` (commit), then log, then head. A crash before the rename leaves the old state
  (plus a staging folder holding a key that never encrypted anything); a re-run removes it and
  starts afresh. A crash after it leaves the new state; a re-run with the same readers appends
  the missing log line and returns the same recipient.
- wrap: replace `wrapped/<reader>.age` (commit), then log, then head. A re-run rewrites it
  and logs it unless the log already ends with that wrap.
- remove: unlink `wrapped/<reader>.age` (commit), then log, then head. A re-run logs the removal
  if it is missing and otherwise does nothing.
- erase: rename `cases/<id>` to `cases/.erasing-<id>-<random>` (commit: from then on the case
  has no key as far as the store says), delete every wrapper, then the recipient, then the
  folder, then log, then head. Until that deletion finishes the wrappers are still on disk:
  `status()` shows the case as an interrupted erase, and a re-run finishes the deletion and
  appends the log line.

So the log is never ahead of the store, and behind it by at most the one change that crashed;
a head behind the log by the last lines (a crash between the two) is a note of `verify_log`.
Changes hold an exclusive flock on the root folder (advisory; network file systems may ignore
it: let one records officer change the store at a time).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from casetrail.core import envelope, ids
from casetrail.core import keystore as ks
from casetrail.core.keystore import CaseKeyStatus, CaseState, KeyStoreError, LogCheck, LogEntry

CASES = "cases"
WRAPPED = "wrapped"
RECIPIENT = "recipient"
LOG = "log.jsonl"
HEAD = "log.head"
MAX_WRAPPER_BYTES = 16 * 1024  # a wrapper is a few hundred bytes
MAX_RECIPIENT_BYTES = 1024
MAX_LOG_BYTES = 256 * 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_CREATING = ".creating-"
_ERASING = ".erasing-"
_INTERRUPTED: tuple[tuple[str, CaseState], ...] = (
    (_CREATING, "interrupted-create"),
    (_ERASING, "interrupted-erase"),
)


def _fail(what: str, error: OSError) -> KeyStoreError:
    if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return KeyStoreError(
            f"{what}: a symbolic link or an unexpected kind of file inside the key store; "
            "refusing it (a key store holds only plain folders and files)"
        )
    return KeyStoreError(f"{what}: {error.strerror or error}")


def _close(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)


def _open_dir(parent: int, name: str, what: str, create: bool = False) -> int | None:
    """A descriptor of the folder `name` inside `parent` (never through a link), or None."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            return None
    except OSError as error:
        raise _fail(what, error) from None
    try:
        os.mkdir(name, 0o755, dir_fd=parent)
        os.fsync(parent)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as error:
        raise _fail(what, error) from None


def _read(parent: int, name: str, limit: int, what: str) -> bytes | None:
    """A plain file's bytes (None if absent), refusing links, non-files and large files."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _fail(what, error) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise KeyStoreError(f"{what}: not a plain file; refusing it")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise _fail(what, error) from None
    finally:
        _close(fd)
    if size > limit:
        raise KeyStoreError(f"{what}: larger than {limit:,} bytes; not a key store file")
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _atomic_write(parent: int, name: str, data: bytes, what: str) -> None:
    """Temporary file beside `name`, fsync, os.replace over it, fsync the folder."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=parent
        )
    except OSError as error:
        raise _fail(what, error) from None
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            _close(fd)
        os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except OSError as error:
        with suppress(OSError):
            os.unlink(tmp, dir_fd=parent)
        raise _fail(what, error) from None
    try:
        os.fsync(parent)
    except OSError as error:
        raise _fail(what, error) from None


def _sweep_temps(folder: int, what: str) -> None:
    """Delete temporary files a crash left in a folder (ciphertext or log heads only)."""
    try:
        for name in os.listdir(folder):
            if name.startswith(".") and name.endswith(".tmp"):
                os.unlink(name, dir_fd=folder)
    except OSError as error:
        raise _fail(what, error) from None


def _remove_tree(parent: int, name: str, what: str) -> None:
    """Delete the folder `name` and everything in it, never following a link; wrappers first."""
    fd = _open_dir(parent, name, what)
    if fd is None:
        return
    try:
        entries = sorted(os.listdir(fd), key=lambda n: (n != WRAPPED, n))  # key material first
        for entry in entries:
            if stat.S_ISDIR(os.stat(entry, dir_fd=fd, follow_symlinks=False).st_mode):
                _remove_tree(fd, entry, what)
            else:
                os.unlink(entry, dir_fd=fd)
        os.fsync(fd)
        os.rmdir(name, dir_fd=parent)
        os.fsync(parent)
    except OSError as error:
        raise _fail(what, error) from None
    finally:
        _close(fd)


def _parse_recipient(text: str, whose: str) -> object:
    from casetrail.shell import cipher

    ks.check_recipient(text, whose)
    try:
        return cipher.recipient(text)
    except cipher.CipherError:
        raise KeyStoreError(f"{whose}: not a valid age recipient") from None


def _new_identity(case_id: str) -> Any:
    """A fresh per-case identity; in the reproducible demo office (CASETRAIL_DEMO_SEED), one
    drawn from the seed, so that the case files name the same key on every run. The demo's
    store is as fictional as its keys: anyone with the seed can derive them."""
    import pyrage

    from casetrail.shell import agedeterministic, demoseed

    if demoseed.seed() is None:
        return pyrage.x25519.Identity.generate()
    drawn = demoseed.random_bytes(b"casetrail-demo/case-key\0" + case_id.encode("ascii"), 32)
    identity = pyrage.x25519.Identity.from_str(agedeterministic.identity_text(drawn))
    demoseed.allow_case_key(str(identity.to_public()))
    return identity


class DirectoryKeyStore:
    """A KeyStore in a folder; see the module docstring for the layout and the crash order."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _session(self, change: bool) -> Iterator[int]:
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            raise KeyStoreError(
                f"key store {self.root}: {error.strerror or error} (it must be an existing folder)"
            ) from None
        try:
            if change:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except OSError as error:
                    raise _fail(f"key store {self.root}: cannot lock it", error) from None
                _sweep_temps(fd, f"key store {self.root}")
            yield fd
        finally:
            _close(fd)  # closing releases the lock

    def _case_dir(self, root: int, case_id: str, create: bool = False) -> int | None:
        cases = _open_dir(root, CASES, "the cases folder", create)
        if cases is None:
            return None
        try:
            return _open_dir(cases, case_id, f"case {case_id}")
        finally:
            _close(cases)

    @contextmanager
    def _existing_case(self, root: int, case_id: str) -> Iterator[int]:
        """The case's folder, open while the block runs; refused if the case has none."""
        case_fd = self._case_dir(root, case_id)
        if case_fd is None:
            raise KeyStoreError(f"case {case_id} has no per-case key in this store")
        try:
            yield case_fd
        finally:
            _close(case_fd)

    def _recipient_in(self, case_fd: int, case_id: str) -> str | None:
        data = _read(case_fd, RECIPIENT, MAX_RECIPIENT_BYTES, f"case {case_id}: recipient")
        if data is None:
            return None
        try:
            text = data.decode("ascii").strip()
        except UnicodeDecodeError:
            raise KeyStoreError(f"case {case_id}: the recipient file is not an age key") from None
        return ks.check_recipient(text, f"case {case_id}: the recipient file")

    def _readers_in(self, case_fd: int, case_id: str) -> tuple[str, ...]:
        wrapped = _open_dir(case_fd, WRAPPED, f"case {case_id}: wrapped")
        if wrapped is None:
            return ()
        try:
            names = os.listdir(wrapped)
        except OSError as error:
            raise _fail(f"case {case_id}: wrapped", error) from None
        finally:
            _close(wrapped)
        return tuple(sorted(r for r in map(ks.reader_of_file, names) if r is not None))

    def _log(self, root: int) -> bytes:
        return _read(root, LOG, MAX_LOG_BYTES, "the key store log") or b""

    def _append(self, root: int, entry: LogEntry) -> None:
        """Append one entry after the change it records is durable; then record the head."""
        data = self._log(root)
        lines, tail = ks.split_log(data)
        prev = ks.line_hash(lines[-1]) if lines else ks.GENESIS
        line = ks.format_entry(
            LogEntry(
                entry.at,
                entry.actor,
                entry.action,
                entry.case,
                entry.reader,
                entry.recipient,
                entry.readers,
                prev,
            )
        )
        if not lines and _read(root, HEAD, 4096, "log.head") is None:
            # the first change records an empty head first, so a missing head is never a crash
            _atomic_write(root, HEAD, ks.format_head(0, ks.GENESIS), "log.head")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
        try:
            fd = os.open(LOG, flags, 0o644, dir_fd=root)
        except OSError as error:
            raise _fail("the key store log", error) from None
        try:
            if tail:  # an unfinished line from a crash: never covered by the head, so drop it
                os.ftruncate(fd, len(data) - len(tail))
            _write_all(fd, line)
            os.fsync(fd)
            if not data:
                os.fsync(root)  # a new log file: make its name durable too
        except OSError as error:
            raise _fail("the key store log", error) from None
        finally:
            _close(fd)
        _atomic_write(
            root, HEAD, ks.format_head(len(lines) + 1, ks.line_hash(line[:-1])), "log.head"
        )

    def _refresh_head(self, root: int) -> None:
        """After a re-run that had nothing to log: record the head if a crash left it behind."""
        lines, _ = ks.split_log(self._log(root))
        if not lines:
            return
        wanted = ks.format_head(len(lines), ks.line_hash(lines[-1]))
        current = _read(root, HEAD, 4096, "log.head")
        if current != wanted:
            head = None if current is None else ks.parse_head(current)
            if head is None or head[0] < len(lines):  # never paper over a truncated log
                _atomic_write(root, HEAD, wanted, "log.head")

    def _leftovers(self, root: int, case_id: str, prefix: str) -> list[str]:
        cases = _open_dir(root, CASES, "the cases folder")
        if cases is None:
            return []
        try:
            return sorted(n for n in os.listdir(cases) if n.startswith(f"{prefix}{case_id}-"))
        except OSError as error:
            raise _fail("the cases folder", error) from None
        finally:
            _close(cases)

    def _remove_leftovers(self, root: int, case_id: str, prefix: str) -> None:
        names = self._leftovers(root, case_id, prefix)
        if not names:
            return
        cases = _open_dir(root, CASES, "the cases folder")
        assert cases is not None
        try:
            for name in names:
                _remove_tree(cases, name, f"case {case_id}: {name}")
        finally:
            _close(cases)

    def _secret(self, case_fd: int, case_id: str, identities: Sequence[object]) -> str:
        import pyrage

        recipient = self._recipient_in(case_fd, case_id)
        if recipient is None:
            raise KeyStoreError(f"case {case_id} has no per-case key in this store")
        if not identities:
            raise KeyStoreError(f"case {case_id}: no identity given to unwrap its key with")
        wrapped = _open_dir(case_fd, WRAPPED, f"case {case_id}: wrapped")
        if wrapped is None:
            raise KeyStoreError(f"case {case_id}: nobody can unwrap its key (no wrappers)")
        try:
            for reader in self._readers_in(case_fd, case_id):
                name = ks.wrapper_file_name(reader)
                what = f"case {case_id}: the wrapper for {reader}"
                data = _read(wrapped, name, MAX_WRAPPER_BYTES, what)
                if data is None:
                    continue
                try:
                    envelope.parse_binary(data)
                except envelope.EnvelopeError as error:
                    raise KeyStoreError(f"{what} {error}") from None
                try:
                    plain: bytes = pyrage.decrypt(data, list(identities))
                except pyrage.DecryptError:
                    continue
                secret = ks.parse_wrapper_plaintext(plain, case_id, recipient)
                try:
                    public = str(pyrage.x25519.Identity.from_str(secret).to_public())
                except pyrage.IdentityError:
                    raise KeyStoreError(f"{what}: holds no usable key") from None
                if public != recipient:
                    raise KeyStoreError(f"{what}: holds a key that does not match the recipient")
                return secret
        finally:
            _close(wrapped)
        raise KeyStoreError(
            f"case {case_id}: none of the identities given can unwrap its key (not a reader, "
            "or the reader was removed)"
        )

    # --- the interface ----------------------------------------------------------------------

    def create(
        self,
        case_id: str,
        readers: Mapping[str, str],
        escrow: tuple[str, str],
        actor: str,
        at: datetime,
    ) -> str:
        """A new per-case identity, wrapped to each reader and to escrow; its recipient."""
        import pyrage

        ks.check_case_id(case_id)
        ks.check_actor(actor)
        when = ks.check_time(at)
        if not isinstance(escrow, tuple) or len(escrow) != 2:
            raise KeyStoreError("escrow must be (name, recipient)")
        wanted: dict[str, str] = {}
        for name, key in readers.items():
            if ks.is_escrow(ks.check_reader(name)):
                raise KeyStoreError(f"{name}: give the escrow key as `escrow`, not as a reader")
            wanted[name] = ks.check_recipient(key, f"reader {name}")
        escrow_name = f"{ks.ESCROW_PREFIX}{escrow[0]}"
        ks.check_reader(escrow_name)
        wanted[escrow_name] = ks.check_recipient(escrow[1], f"escrow {escrow[0]}")
        parsed = {name: _parse_recipient(key, name) for name, key in wanted.items()}
        listed = tuple(sorted(wanted.items()))
        with self._session(change=True) as root:
            case_fd = self._case_dir(root, case_id)
            if case_fd is not None:
                try:
                    return self._create_again(root, case_fd, case_id, listed, actor, when)
                finally:
                    _close(case_fd)
            self._remove_leftovers(root, case_id, _CREATING)
            identity = _new_identity(case_id)
            recipient = str(identity.to_public())
            plain = ks.wrapper_plaintext(case_id, recipient, str(identity))
            del identity
            cases = _open_dir(root, CASES, "the cases folder", create=True)
            assert cases is not None
            staging = f"{_CREATING}{case_id}-{secrets.token_hex(4)}"
            try:
                stage = _open_dir(cases, staging, f"case {case_id}", create=True)
                assert stage is not None
                try:
                    wrapped = _open_dir(stage, WRAPPED, f"case {case_id}", create=True)
                    assert wrapped is not None
                    try:
                        for name, to in parsed.items():
                            data: bytes = pyrage.encrypt(plain, [to])
                            what = f"case {case_id}: the wrapper for {name}"
                            _atomic_write(wrapped, ks.wrapper_file_name(name), data, what)
                    finally:
                        _close(wrapped)
                    rec = (recipient + "\n").encode("ascii")
                    _atomic_write(stage, RECIPIENT, rec, f"case {case_id}: recipient")
                finally:
                    _close(stage)
                try:
                    os.replace(staging, case_id, src_dir_fd=cases, dst_dir_fd=cases)  # commit
                    os.fsync(cases)
                except OSError as error:
                    raise _fail(f"case {case_id}", error) from None
            finally:
                _close(cases)
            self._append(root, LogEntry(when, actor, "create", case_id, None, recipient, listed))
            return recipient

    def _create_again(
        self,
        root: int,
        case_fd: int,
        case_id: str,
        listed: tuple[tuple[str, str], ...],
        actor: str,
        when: str,
    ) -> str:
        """A create for a case that has a key: finish an interrupted identical create."""
        recipient = self._recipient_in(case_fd, case_id)
        names = tuple(name for name, _ in listed)
        if recipient is None or self._readers_in(case_fd, case_id) != names:
            raise KeyStoreError(
                f"case {case_id} already has a per-case key; change its readers with wrap and "
                "remove, or erase it"
            )
        last = ks.latest(ks.parse_entries(self._log(root)), case_id)
        if last is None or last.action == "erase":
            self._append(root, LogEntry(when, actor, "create", case_id, None, recipient, listed))
        elif last.action == "create" and last.recipient == recipient and last.readers == listed:
            self._refresh_head(root)
        else:
            raise KeyStoreError(f"case {case_id} already has a per-case key")
        return recipient

    def recipient(self, case_id: str) -> str:
        ks.check_case_id(case_id)
        with self._session(change=False) as root, self._existing_case(root, case_id) as case_fd:
            found = self._recipient_in(case_fd, case_id)
        if found is None:
            raise KeyStoreError(f"case {case_id} has no per-case key in this store")
        return found

    def readers(self, case_id: str) -> tuple[str, ...]:
        ks.check_case_id(case_id)
        with self._session(change=False) as root:
            case_fd = self._case_dir(root, case_id)
            if case_fd is None:
                return ()
            try:
                return self._readers_in(case_fd, case_id)
            finally:
                _close(case_fd)

    def unwrap(self, case_id: str, identities: Sequence[object]) -> str:
        """The per-case age secret key, in memory only."""
        ks.check_case_id(case_id)
        with self._session(change=False) as root, self._existing_case(root, case_id) as case_fd:
            return self._secret(case_fd, case_id, identities)

    def wrap(
        self,
        case_id: str,
        handle: str,
        recipient: str,
        unwrapping_identities: Sequence[object],
        actor: str,
        at: datetime,
    ) -> None:
        """Give `handle` a wrapper; someone who can unwrap the key already must do it."""
        import pyrage

        ks.check_case_id(case_id)
        ks.check_reader(handle)
        ks.check_actor(actor)
        when = ks.check_time(at)
        key = _parse_recipient(recipient, f"reader {handle}")
        with self._session(change=True) as root:
            with self._existing_case(root, case_id) as case_fd:
                secret = self._secret(case_fd, case_id, unwrapping_identities)
                public = self._recipient_in(case_fd, case_id)
                assert public is not None
                data: bytes = pyrage.encrypt(ks.wrapper_plaintext(case_id, public, secret), [key])
                del secret
                wrapped = _open_dir(case_fd, WRAPPED, f"case {case_id}", create=True)
                assert wrapped is not None
                try:
                    _sweep_temps(wrapped, f"case {case_id}: wrapped")
                    what = f"case {case_id}: the wrapper for {handle}"
                    _atomic_write(wrapped, ks.wrapper_file_name(handle), data, what)  # commit
                finally:
                    _close(wrapped)
            last = ks.latest(ks.parse_entries(self._log(root)), case_id, handle)
            if last is not None and ks.wrapped_recipient(last, handle) == recipient:
                self._refresh_head(root)
            else:
                self._append(root, LogEntry(when, actor, "wrap", case_id, handle, recipient))

    def remove(self, case_id: str, handle: str, actor: str, at: datetime) -> None:
        """Revoke: delete `handle`'s wrapper of the case's key."""
        ks.check_case_id(case_id)
        ks.check_reader(handle)
        ks.check_actor(actor)
        when = ks.check_time(at)
        with self._session(change=True) as root:
            case_fd = self._case_dir(root, case_id)
            if case_fd is None or self._recipient_in(case_fd, case_id) is None:
                if case_fd is not None:
                    _close(case_fd)
                raise KeyStoreError(f"case {case_id} has no per-case key in this store")
            try:
                present = self._readers_in(case_fd, case_id)
                if handle in present:
                    escrows = [r for r in present if ks.is_escrow(r)]
                    if ks.is_escrow(handle) and escrows == [handle]:
                        raise KeyStoreError(
                            f"case {case_id}: {handle} is its only escrow wrapper; wrap the key "
                            "to the new escrow key first, or erase the key to destroy it"
                        )
                    wrapped = _open_dir(case_fd, WRAPPED, f"case {case_id}")
                    assert wrapped is not None
                    try:
                        os.unlink(ks.wrapper_file_name(handle), dir_fd=wrapped)  # commit
                        os.fsync(wrapped)
                    except OSError as error:
                        raise _fail(f"case {case_id}: the wrapper for {handle}", error) from None
                    finally:
                        _close(wrapped)
            finally:
                _close(case_fd)
            last = ks.latest(ks.parse_entries(self._log(root)), case_id, handle)
            if handle not in present and (last is None or last.action == "erase"):
                raise KeyStoreError(f"{handle} is not a reader of case {case_id}")
            if last is not None and last.action == "unwrap-removed":
                self._refresh_head(root)
            else:
                self._append(root, LogEntry(when, actor, "unwrap-removed", case_id, handle))

    def erase(self, case_id: str, actor: str, at: datetime) -> None:
        """Crypto-shred: delete every wrapper and the recipient of the case's key."""
        ks.check_case_id(case_id)
        ks.check_actor(actor)
        when = ks.check_time(at)
        with self._session(change=True) as root:
            cases = _open_dir(root, CASES, "the cases folder")
            present = False
            if cases is not None:
                try:
                    case_fd = _open_dir(cases, case_id, f"case {case_id}")
                    if case_fd is not None:
                        _close(case_fd)
                        present = True
                        doomed = f"{_ERASING}{case_id}-{secrets.token_hex(4)}"
                        try:
                            os.replace(case_id, doomed, src_dir_fd=cases, dst_dir_fd=cases)
                            os.fsync(cases)  # commit: the case has no key from here on
                        except OSError as error:
                            raise _fail(f"case {case_id}", error) from None
                finally:
                    _close(cases)
            leftovers = self._leftovers(root, case_id, _ERASING)
            self._remove_leftovers(root, case_id, _ERASING)
            self._remove_leftovers(root, case_id, _CREATING)
            last = ks.latest(ks.parse_entries(self._log(root)), case_id)
            if last is not None and last.action == "erase" and not present:
                self._refresh_head(root)  # erased before; a re-run has nothing more to do
            elif present or leftovers or last is not None:
                self._append(root, LogEntry(when, actor, "erase", case_id))
            else:
                raise KeyStoreError(f"case {case_id} has no per-case key in this store")

    def status(self) -> list[CaseKeyStatus]:
        """Each case in the store: its recipient and readers, and any interrupted change."""
        found: list[CaseKeyStatus] = []
        with self._session(change=False) as root:
            cases = _open_dir(root, CASES, "the cases folder")
            if cases is None:
                return []
            try:
                names = sorted(os.listdir(cases))
            except OSError as error:
                _close(cases)
                raise _fail("the cases folder", error) from None
            try:
                for name in names:
                    for prefix, state in _INTERRUPTED:
                        if name.startswith(prefix):
                            case_id = name[len(prefix) :].rsplit("-", 1)[0]
                            if ids.problem(case_id) is None:
                                found.append(CaseKeyStatus(case_id, None, (), state))
                    if ids.problem(name) is not None:
                        continue
                    case_fd = _open_dir(cases, name, f"case {name}")
                    if case_fd is None:
                        continue
                    try:
                        found.append(
                            CaseKeyStatus(
                                name,
                                self._recipient_in(case_fd, name),
                                self._readers_in(case_fd, name),
                            )
                        )
                    finally:
                        _close(case_fd)
            finally:
                _close(cases)
        return found

    def all_wrapped(self) -> dict[str, dict[str, str]]:
        """For every case, the recipient each wrapper was made for, by the change log (one
        reading of it: `keys status` and `keys sync` ask for every case at once)."""
        with self._session(change=False) as root:
            return ks.wrappers(ks.parse_entries(self._log(root)))

    def was_erased(self, case_id: str) -> bool:
        """True if the log's last word on the case is an erase and no key is left."""
        ks.check_case_id(case_id)
        with self._session(change=False) as root:
            last = ks.latest(ks.parse_entries(self._log(root)), case_id)
            case_fd = self._case_dir(root, case_id)
        if case_fd is not None:
            _close(case_fd)
            return False
        return last is not None and last.action == "erase"

    def log_head(self) -> str:
        """`N entries, sha256 <hash of the last line>`: what a signed record (a destruction
        certificate) quotes to anchor the log, so that a later rewrite of it shows."""
        with self._session(change=False) as root:
            lines, _ = ks.split_log(self._log(root))
        last = ks.line_hash(lines[-1]) if lines else ks.GENESIS
        return f"{len(lines)} entries, sha256 {last}"

    def verify_log(self) -> LogCheck:
        with self._session(change=False) as root:
            return ks.verify(self._log(root), _read(root, HEAD, 4096, "log.head"))
