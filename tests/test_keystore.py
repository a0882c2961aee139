"""The per-case key store (core/keystore.py) and its directory backend (shell/keystore_dir.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from casetrail.core import ids
from casetrail.core import keystore as ks
from casetrail.core.keystore import KeyStore, KeyStoreError
from casetrail.shell import cipher
from casetrail.shell.keystore_dir import DirectoryKeyStore

DEMO_KEYS = Path(__file__).resolve().parent / "demo-keys-DO-NOT-USE"
AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
CASE = ids.make(2026, bytes([1, 2, 3, 4, 5, 6]))
OTHER = ids.make(2026, bytes([9, 8, 7, 6, 5, 4]))


def key_text(who: str) -> str:
    return (DEMO_KEYS / f"{who}.agekey").read_text()


def public(who: str) -> str:
    for line in key_text(who).splitlines():
        if line.startswith("# public key: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"{who}: no public key line")


def ident(who: str) -> list[object]:
    return cipher.load_identities(key_text(who), who)


ESCROW = ("records", public("escrow"))


def nothing(store: DirectoryKeyStore) -> None:
    pass


def with_case(store: DirectoryKeyStore) -> None:
    create(store)


def make_store(root: Path) -> DirectoryKeyStore:
    root.mkdir(exist_ok=True)
    store = DirectoryKeyStore(root)
    _: KeyStore = store  # the backend satisfies the interface (checked by mypy on tests too)
    return store


def create(store: DirectoryKeyStore, case: str = CASE) -> str:
    readers = {"amartin": public("amartin"), "bkoch": public("bkoch")}
    return store.create(case, readers, ESCROW, "gharris", AT)


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> DirectoryKeyStore:
    return make_store(tmp_path / "store")


# --- round trips ------------------------------------------------------------------------------


def test_create_then_every_reader_and_escrow_unwraps_and_decrypts_a_section(
    store: DirectoryKeyStore,
) -> None:
    recipient = create(store)
    assert recipient.startswith("age1") and store.recipient(CASE) == recipient
    assert store.readers(CASE) == ("amartin", "bkoch", "escrow:records")
    secrets = {who: store.unwrap(CASE, ident(who)) for who in ("amartin", "bkoch", "escrow")}
    assert len(set(secrets.values())) == 1
    secret = secrets["amartin"]
    assert secret.startswith("AGE-SECRET-KEY-1")
    block = cipher.encrypt_file(b"Parties: fictional", [recipient])
    keyring = cipher.Keyring(cipher.load_identities(secret), ("per-case key",))
    assert cipher.decrypt_file(block, keyring, "a document") == b"Parties: fictional"
    for path in files_under(store.root):  # the private key is never written in clear
        assert b"AGE-SECRET-KEY" not in path.read_bytes(), path
    assert (store.root / "cases" / CASE / "recipient").read_text() == recipient + "\n"
    assert (store.root / "cases" / CASE / "wrapped" / "escrow.records.age").is_file()


def test_someone_without_a_wrapper_cannot_unwrap(store: DirectoryKeyStore) -> None:
    create(store)
    with pytest.raises(KeyStoreError, match="none of the identities"):
        store.unwrap(CASE, ident("cnguyen"))
    with pytest.raises(KeyStoreError, match="no identity given"):
        store.unwrap(CASE, [])


def test_wrap_adds_a_reader_only_for_someone_who_can_unwrap(store: DirectoryKeyStore) -> None:
    create(store)
    with pytest.raises(KeyStoreError, match="none of the identities"):
        store.wrap(CASE, "cnguyen", public("cnguyen"), ident("dokafor"), "dokafor", AT)
    assert "cnguyen" not in store.readers(CASE)
    store.wrap(CASE, "cnguyen", public("cnguyen"), ident("amartin"), "amartin", AT)
    assert store.unwrap(CASE, ident("cnguyen")) == store.unwrap(CASE, ident("escrow"))
    assert store.verify_log().ok


def test_a_removed_reader_cannot_unwrap_and_others_still_can(store: DirectoryKeyStore) -> None:
    create(store)
    store.remove(CASE, "bkoch", "gharris", AT)
    assert store.readers(CASE) == ("amartin", "escrow:records")
    with pytest.raises(KeyStoreError, match="none of the identities"):
        store.unwrap(CASE, ident("bkoch"))
    assert store.unwrap(CASE, ident("amartin"))
    with pytest.raises(KeyStoreError, match="not a reader"):
        store.remove(CASE, "cnguyen", "gharris", AT)
    with pytest.raises(KeyStoreError, match="only escrow wrapper"):
        store.remove(CASE, "escrow:records", "gharris", AT)
    actions = [ks.parse_line(x).action for x in (store.root / "log.jsonl").read_bytes().split()]
    assert actions == ["create", "unwrap-removed"]


def test_erase_leaves_nothing_anyone_can_unwrap(store: DirectoryKeyStore) -> None:
    recipient = create(store)
    create(store, OTHER)
    store.erase(CASE, "gharris", AT)
    for who in ("amartin", "bkoch", "escrow"):
        with pytest.raises(KeyStoreError, match="no per-case key"):
            store.unwrap(CASE, ident(who))
    assert not (store.root / "cases" / CASE).exists()
    leftovers = [p for p in files_under(store.root) if OTHER not in str(p)]
    assert sorted(p.name for p in leftovers) == ["log.head", "log.jsonl"]
    assert all(CASE not in p.name for p in (store.root / "cases").iterdir())
    assert [s.case_id for s in store.status()] == [OTHER]
    assert store.unwrap(OTHER, ident("escrow"))  # the other case is untouched
    log = (store.root / "log.jsonl").read_text()
    assert recipient in log and "AGE-SECRET" not in log  # the log names the key, never holds it
    store.erase(CASE, "gharris", AT)  # a second erase is a no-op, not a second entry
    assert len(log.splitlines()) == 3 == store.verify_log().entries


def test_status_shows_recipient_and_readers(store: DirectoryKeyStore) -> None:
    assert store.status() == []
    recipient = create(store)
    assert store.status() == [
        ks.CaseKeyStatus(CASE, recipient, ("amartin", "bkoch", "escrow:records"))
    ]


def test_a_wrapper_copied_from_another_case_is_refused(store: DirectoryKeyStore) -> None:
    create(store)
    create(store, OTHER)
    src = store.root / "cases" / OTHER / "wrapped" / "amartin.age"
    shutil.copyfile(src, store.root / "cases" / CASE / "wrapped" / "amartin.age")
    with pytest.raises(KeyStoreError, match="another case"):
        store.unwrap(CASE, ident("amartin"))


def test_create_twice_with_other_readers_is_refused(store: DirectoryKeyStore) -> None:
    recipient = create(store)
    assert create(store) == recipient  # the same create again: nothing to do
    with pytest.raises(KeyStoreError, match="already has a per-case key"):
        store.create(CASE, {"cnguyen": public("cnguyen")}, ESCROW, "gharris", AT)
    assert store.verify_log().entries == 1


# --- the change log ---------------------------------------------------------------------------


def logged_store(tmp_path: Path) -> DirectoryKeyStore:
    store = make_store(tmp_path / "store")
    create(store)
    create(store, OTHER)
    store.wrap(CASE, "cnguyen", public("cnguyen"), ident("amartin"), "amartin", AT)
    store.remove(CASE, "bkoch", "gharris", AT)
    store.erase(OTHER, "gharris", AT)
    check = store.verify_log()
    assert check.ok and check.entries == 5 and not check.notes
    return store


def rewrite_log(store: DirectoryKeyStore, change: Callable[[list[bytes]], list[bytes]]) -> None:
    path = store.root / "log.jsonl"
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"".join(line + b"\n" for line in change(lines)))


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("edited", lambda ls: [ls[0], ls[1].replace(b"gharris", b"hlindqv"), *ls[2:]]),
        ("edited last", lambda ls: [*ls[:-1], ls[-1].replace(b"gharris", b"hlindqv")]),
        ("removed", lambda ls: [ls[0], *ls[2:]]),
        ("removed last", lambda ls: ls[:-1]),
        ("removed first", lambda ls: ls[1:]),
        ("reordered", lambda ls: [ls[0], ls[2], ls[1], *ls[3:]]),
        ("garbage", lambda ls: [ls[0], b"{not json", *ls[2:]]),
    ],
)
def test_verify_log_detects_tampering(
    tmp_path: Path, name: str, change: Callable[[list[bytes]], list[bytes]]
) -> None:
    store = logged_store(tmp_path)
    rewrite_log(store, change)
    check = store.verify_log()
    assert not check.ok, name
    assert all("AGE-SECRET" not in p for p in check.problems)


def test_verify_log_detects_a_deleted_head(tmp_path: Path) -> None:
    store = logged_store(tmp_path)
    (store.root / "log.head").unlink()
    assert "log.head is missing" in store.verify_log().problems[0]


def test_an_unfinished_last_line_is_a_note_and_the_next_change_drops_it(
    store: DirectoryKeyStore,
) -> None:
    create(store)
    with (store.root / "log.jsonl").open("ab") as log:
        log.write(b'{"v":1,"at":"2026-')
    check = store.verify_log()
    assert check.ok and "unfinished" in check.notes[0]
    store.remove(CASE, "bkoch", "gharris", AT)
    check = store.verify_log()
    assert check.ok and check.entries == 2 and not check.notes


# --- crash safety -----------------------------------------------------------------------------


class Crash(Exception):
    pass


FAULTY = ("replace", "fsync", "unlink", "rmdir", "write", "mkdir", "ftruncate")


@contextmanager
def machine_dies_at(k: int) -> Iterator[list[int]]:
    """From the k-th call of any write-side os function on, every such call fails, cleanup
    included: as if the machine stopped there. Yields a one-item count of the calls made."""
    calls = [0]
    saved = {name: getattr(os, name) for name in FAULTY}

    def faulty(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] >= k:
                raise OSError(5, "Input/output error (simulated crash)")
            return real(*args, **kwargs)

        return call

    for name, real in saved.items():
        setattr(os, name, faulty(real))
    try:
        yield calls
    finally:
        for name, real in saved.items():
            setattr(os, name, real)


def visible(store: DirectoryKeyStore) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    return {s.case_id: (s.recipient, s.readers) for s in store.status() if s.state == "ready"}


Operation = Callable[[DirectoryKeyStore], object]
OPERATIONS: dict[str, tuple[Callable[[DirectoryKeyStore], None], Operation]] = {
    "create": (nothing, create),
    "wrap": (
        with_case,
        lambda s: s.wrap(CASE, "cnguyen", public("cnguyen"), ident("bkoch"), "bkoch", AT),
    ),
    "remove": (
        with_case,
        lambda s: s.remove(CASE, "bkoch", "gharris", AT),
    ),
    "erase": (with_case, lambda s: s.erase(CASE, "gharris", AT)),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_crash_at_any_step_leaves_old_or_new_state_and_a_rerun_finishes(
    tmp_path: Path, operation: str
) -> None:
    prepare, run = OPERATIONS[operation]
    reference = make_store(tmp_path / "reference")
    prepare(reference)
    old, old_entries = visible(reference), reference.verify_log().entries
    run(reference)
    new = visible(reference)
    assert new != old

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        """Every store draws its own key: compare which cases have one, and their readers."""
        return {c: r for c, (_, r) in a.items()} == {c: r for c, (_, r) in b.items()}

    for k in range(1, 200):
        store = make_store(tmp_path / f"crash-{k}")
        prepare(store)
        before = visible(store)
        with machine_dies_at(k) as calls:
            try:
                run(store)
                crashed = False
            except KeyStoreError as error:
                crashed = True
                assert "simulated crash" in str(error)
        assert same(visible(store), old) or same(visible(store), new), f"crash at step {k}"
        check = store.verify_log()
        assert check.ok, check.problems
        assert check.entries in (old_entries, old_entries + 1)
        run(store)  # the re-run finishes the job
        assert same(visible(store), new), k
        check = store.verify_log()
        assert check.ok and not check.notes and check.entries == old_entries + 1, (k, check)
        assert [s for s in store.status() if s.state != "ready"] == []
        assert not [p for p in files_under(store.root) if p.name.endswith(".tmp")]
        if operation == "erase":
            assert not (store.root / "cases" / CASE).exists()
            assert [p.name for p in files_under(store.root)] == ["log.head", "log.jsonl"]
        else:
            assert store.unwrap(CASE, ident("escrow"))
            if operation != "create":  # the case keeps its key: no section needs re-encrypting
                assert visible(store)[CASE][0] == before[CASE][0]
        if not crashed:
            assert calls[0] < k and k > 5  # it crashed at every write step before this one
            break
    else:
        raise AssertionError("the operation never completed")


def test_an_interrupted_erase_shows_in_status_until_rerun(store: DirectoryKeyStore) -> None:
    create(store)
    real = os.unlink

    def dies(*args: Any, **kwargs: Any) -> None:
        raise OSError(5, "Input/output error (simulated crash)")

    os.unlink = dies  # type: ignore[assignment]
    try:
        with pytest.raises(KeyStoreError, match="simulated crash"):
            store.erase(CASE, "gharris", AT)
    finally:
        os.unlink = real
    assert [s.state for s in store.status()] == ["interrupted-erase"]
    with pytest.raises(KeyStoreError, match="no per-case key"):
        store.unwrap(CASE, ident("escrow"))
    store.erase(CASE, "gharris", AT)
    assert store.status() == []
    assert [p.name for p in files_under(store.root)] == ["log.head", "log.jsonl"]


# --- hostile input and hostile stores ---------------------------------------------------------


@pytest.mark.parametrize(
    "case_id", ["../x", "2026-ABC/../../", "", "2026-ABCDEFG", f"{CASE}/..", "/etc", None]
)
def test_hostile_case_ids_are_refused(store: DirectoryKeyStore, case_id: Any) -> None:
    with pytest.raises(KeyStoreError, match="case ID"):
        store.create(case_id, {"amartin": public("amartin")}, ESCROW, "gharris", AT)
    for call in (
        lambda: store.unwrap(case_id, ident("amartin")),
        lambda: store.erase(case_id, "gharris", AT),
        lambda: store.recipient(case_id),
        lambda: store.readers(case_id),
    ):
        with pytest.raises(KeyStoreError, match="case ID"):
            call()
    assert files_under(store.root.parent) == []


@pytest.mark.parametrize("reader", ["../evil", "a/b", "escrow:../x", "Amartin", "x", "a.b", ""])
def test_hostile_reader_names_are_refused(store: DirectoryKeyStore, reader: str) -> None:
    with pytest.raises(KeyStoreError, match="not a reader name"):
        store.create(CASE, {reader: public("amartin")}, ESCROW, "gharris", AT)
    create(store)
    with pytest.raises(KeyStoreError, match="not a reader name"):
        store.remove(CASE, reader, "gharris", AT)


def test_bad_input_gets_a_clear_error(tmp_path: Path, store: DirectoryKeyStore) -> None:
    readers = {"amartin": public("amartin")}
    with pytest.raises(KeyStoreError, match="time zone"):
        store.create(CASE, readers, ESCROW, "gharris", datetime(2026, 11, 23))
    with pytest.raises(KeyStoreError, match="not an age recipient"):
        store.create(CASE, {"amartin": "age1nope"}, ESCROW, "gharris", AT)
    with pytest.raises(KeyStoreError, match="actor"):
        store.create(CASE, readers, ESCROW, "../root", AT)
    with pytest.raises(KeyStoreError, match="escrow key as `escrow`"):
        store.create(CASE, {"escrow:records": public("escrow")}, ESCROW, "gharris", AT)
    with pytest.raises(KeyStoreError, match="existing folder"):
        DirectoryKeyStore(tmp_path / "missing").status()
    with pytest.raises(KeyStoreError, match="no per-case key"):
        store.recipient(CASE)
    with pytest.raises(KeyStoreError, match="no per-case key"):
        store.erase(CASE, "gharris", AT)


def test_a_symlinked_case_folder_is_refused(tmp_path: Path, store: DirectoryKeyStore) -> None:
    create(store, OTHER)
    outside = tmp_path / "outside"
    shutil.copytree(store.root / "cases" / OTHER, outside)
    (store.root / "cases" / CASE).symlink_to(outside)
    before = {p: p.read_bytes() for p in files_under(outside)}
    for call in (
        lambda: store.recipient(CASE),
        lambda: store.unwrap(CASE, ident("amartin")),
        lambda: store.wrap(CASE, "cnguyen", public("cnguyen"), ident("amartin"), "amartin", AT),
        lambda: store.remove(CASE, "amartin", "gharris", AT),
        lambda: create(store),
    ):
        with pytest.raises(KeyStoreError, match="symbolic link"):
            call()
    assert {p: p.read_bytes() for p in files_under(outside)} == before


def test_a_symlinked_cases_folder_or_log_is_never_written_through(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "cases").symlink_to(outside)
    with pytest.raises(KeyStoreError, match="symbolic link"):
        create(store)
    assert list(outside.iterdir()) == []
    (store.root / "cases").unlink()
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    (store.root / "log.jsonl").symlink_to(target)
    with pytest.raises(KeyStoreError, match="symbolic link"):
        create(store)
    assert target.read_text() == ""


def test_a_symlinked_wrapper_is_refused(tmp_path: Path, store: DirectoryKeyStore) -> None:
    create(store)
    wrapper = store.root / "cases" / CASE / "wrapped" / "amartin.age"
    moved = tmp_path / "amartin.age"
    wrapper.rename(moved)
    wrapper.symlink_to(moved)
    with pytest.raises(KeyStoreError, match="symbolic link"):
        store.unwrap(CASE, ident("amartin"))


# --- the reference age CLI --------------------------------------------------------------------


def test_the_age_cli_decrypts_a_wrapper_with_the_readers_key_file(
    tmp_path: Path, store: DirectoryKeyStore
) -> None:
    age = shutil.which("age") or ("/usr/bin/age" if Path("/usr/bin/age").exists() else None)
    if age is None:
        pytest.skip("the reference age CLI is not installed (apt-get install age)")
    recipient = create(store)
    wrapper = store.root / "cases" / CASE / "wrapped" / "bkoch.age"
    done = subprocess.run(
        [age, "-d", "-i", str(DEMO_KEYS / "bkoch.agekey"), str(wrapper)],
        capture_output=True,
        check=True,
    )
    assert f"# public key: {recipient}\n".encode() in done.stdout
    assert done.stdout.decode().splitlines()[2] == store.unwrap(CASE, ident("bkoch"))
    key_file = tmp_path / "case.agekey"  # what an unwrapped key file is good for: age -i
    key_file.write_bytes(done.stdout)
    block = cipher.encrypt_file(b"a fictional narrative", [recipient])
    sealed = tmp_path / "doc.age"
    sealed.write_bytes(block)
    out = subprocess.run(
        [age, "-d", "-i", str(key_file), str(sealed)], capture_output=True, check=True
    )
    assert out.stdout == b"a fictional narrative"
