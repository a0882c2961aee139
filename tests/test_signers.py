"""The roster's signing keys: tolerant reading, git's allowed signers, and verdicts.

The allowed signers text is checked against the real `ssh-keygen -Y find-principals` at the
edges of each key's window, in several machine time zones; signers.authorise must give the
same answer at every edge.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casetrail.core import signers, sshsig, yamlstrict
from conftest import DEMO_KEYS, PROJECT

OFFICE = "Europe/Berlin"
BERLIN = ZoneInfo(OFFICE)
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcyj3vTtZ42sIsJGExbvTi+hgsMY2P4PLVT5EjrXi0P"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYjQ0wA2C8WNIFwGyEmOiPz0H1mZE44I9BEF3v9rkfu"
KEY_C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbCwgJO457XXPtyhB1sf0oRVoEDvhchCUWv0mF609Oz"
KEY_D = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3XzTv0SEvL0W1qU0PWuaEYBfejIdb2BQdimdM6PVvP"


def project_roster() -> dict[str, Any]:
    value = yamlstrict.load((PROJECT / "schema" / "roster.yaml").read_text()).value
    assert isinstance(value, dict)
    return value


def person(
    handle: str, *keys: dict[str, Any], email: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "handle": handle,
        "name": handle.title(),
        "email": email or f"{handle}@demo.invalid",
        "roles": ["handler"],
        "signing_keys": list(keys),
        **extra,
    }


def key(text: str, valid_from: str = "2026-01-05", **dates: str) -> dict[str, Any]:
    return {"key": text, "valid_from": valid_from, **dates}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---- the project's roster and its demo keys ---------------------------------------------------


def test_signing_keys_of_the_project_roster() -> None:
    keys = signers.signing_keys(project_roster())
    assert [k.handle for k in keys] == sorted(k.handle for k in keys)
    assert len(keys) == 9
    amartin = keys[0]
    assert amartin == signers.SigningKey(
        handle="amartin",
        name="Amira Martin",
        email="amartin@demo.casetrail.invalid",
        key=KEY_A,
        valid_from=date(2026, 1, 5),
        valid_until=None,
        revoked_at=None,
        roles=frozenset({"intake"}),
    )
    assert {k.handle: k.roles for k in keys}["hlindqvist"] == {"records_officer", "it_admin"}


def test_demo_private_keys_match_the_roster(tmp_path: Path) -> None:
    """Each tests/demo-keys-DO-NOT-USE/<handle>.ssh is the private half of <handle>'s roster
    key (as ssh-keygen derives it), and <handle>.ssh.pub says the same."""
    in_roster = {k.handle: k.key for k in signers.signing_keys(project_roster())}
    private_keys = sorted(DEMO_KEYS.glob("*.ssh"))
    assert {p.stem for p in private_keys} == set(in_roster)
    for private in private_keys:
        copy = tmp_path / private.name
        shutil.copyfile(private, copy)
        copy.chmod(0o600)  # ssh-keygen refuses a private key others can read
        derived = subprocess.run(
            ["ssh-keygen", "-y", "-f", str(copy)], capture_output=True, text=True, check=True
        ).stdout
        assert sshsig.canonical_key(derived) == in_roster[private.stem]
        published = private.with_name(private.name + ".pub").read_text()
        assert sshsig.canonical_key(published) == in_roster[private.stem]


def test_allowed_signers_of_the_project_roster() -> None:
    text = signers.allowed_signers(project_roster(), OFFICE)
    lines = text.splitlines()
    assert lines[0].startswith("#") and "schema/roster.yaml" in lines[0]
    assert (
        'amartin@demo.casetrail.invalid namespaces="git",valid-after="20260104230000Z" '
        f"{KEY_A} amartin"
    ) in lines
    assert len([line for line in lines if not line.startswith("#")]) == 9
    assert text.endswith("\n")


# ---- tolerance ----------------------------------------------------------------------------------


def test_malformed_entries_are_skipped_never_raised() -> None:
    good = person("good", key(KEY_A))
    malformed: list[Any] = [
        None,
        1,
        "person",
        {},
        {"handle": "nomail", "signing_keys": [key(KEY_B)]},
        person("badmail", key(KEY_B), email="not an e-mail"),
        person("comma", key(KEY_B), email="a,b@demo.invalid"),
        person("", key(KEY_B)),
        {**person("keysnotalist", key(KEY_B)), "signing_keys": "ssh-ed25519 AAAA"},
        person("entrynotamapping", "ssh-ed25519 AAAA", ["x"]),  # type: ignore[arg-type]
        person("nokey", {"valid_from": "2026-01-05"}),
        person("keynottext", key(KEY_B) | {"key": 12}),
        person("garbage", key("ssh-ed25519 not-base64!")),
        person("typemismatch", key("ssh-rsa " + KEY_B.split()[1])),
        person("unknowntype", key("ssh-foo AAAAB3NzaC1mb28=")),
        person("nofrom", {"key": KEY_B}),
        person("badfrom", key(KEY_B, "2026-13-01")),
        person("compactfrom", key(KEY_B, "20260105")),
        person("weekfrom", key(KEY_B, "2026-W02-1")),
        person("intfrom", key(KEY_B) | {"valid_from": 20260105}),
        person("datetimefrom", key(KEY_B) | {"valid_from": datetime(2026, 1, 5, tzinfo=UTC)}),
        person("baduntil", key(KEY_B, valid_until="soon")),
        person("badrevoked", key(KEY_B, revoked_at="2026-02-30")),
    ]
    roster = {"people": [*malformed, good]}
    keys = signers.signing_keys(roster)
    assert [(k.handle, k.key) for k in keys] == [("good", KEY_A)]
    assert signers.allowed_signers(roster, OFFICE).count("\n") == 3  # two comments and a line


def test_dates_as_date_objects_and_odd_fields_are_accepted() -> None:
    entry = {"key": f"{KEY_A} laptop", "valid_from": date(2026, 1, 5), "valid_until": None}
    roster = {
        "people": [
            {"handle": "x", "email": "X@Demo.invalid", "roles": "nope", "signing_keys": [entry]}
        ]
    }
    (only,) = signers.signing_keys(roster)
    assert only.valid_from == date(2026, 1, 5) and only.valid_until is None
    assert only.roles == frozenset() and only.name == "x" and only.key == KEY_A


@pytest.mark.parametrize(
    "roster", [{}, {"people": None}, {"people": "x"}, {"people": {}}, [], None, "x"]
)
def test_not_a_roster_gives_no_keys(roster: Any) -> None:
    assert signers.signing_keys(roster) == []


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from([KEY_A, "2026-01-05"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "people",
                    "handle",
                    "email",
                    "signing_keys",
                    "key",
                    "valid_from",
                    "valid_until",
                    "revoked_at",
                    "roles",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(json_like)
def test_any_mapping_is_read_without_raising(roster: Any) -> None:
    wrapped = {"people": roster} if not isinstance(roster, dict) else roster
    keys = signers.signing_keys(wrapped)
    assert all(isinstance(k, signers.SigningKey) for k in keys)
    assert signers.allowed_signers(wrapped, OFFICE).startswith("#")


def test_order_and_text_do_not_depend_on_roster_order() -> None:
    people = [
        person("b", key(KEY_B), key(KEY_C, "2026-02-01")),
        person("a", key(KEY_A, "2026-03-01"), key(KEY_A, "2026-01-01", valid_until="2026-01-31")),
        person("c", key(KEY_D, revoked_at="2026-04-01")),
    ]
    first = {"people": people}
    keys = signers.signing_keys(first)
    assert [(k.handle, k.valid_from) for k in keys] == [
        ("a", date(2026, 1, 1)),
        ("a", date(2026, 3, 1)),
        ("b", date(2026, 1, 5)),
        ("b", date(2026, 2, 1)),
        ("c", date(2026, 1, 5)),
    ]
    for seed in range(5):
        shuffled = [dict(p, signing_keys=list(p["signing_keys"])) for p in people]
        random.Random(seed).shuffle(shuffled)
        for p in shuffled:
            random.Random(seed).shuffle(p["signing_keys"])
        assert signers.signing_keys({"people": shuffled}) == keys
        assert signers.allowed_signers({"people": shuffled}, OFFICE) == signers.allowed_signers(
            first, OFFICE
        )


# ---- the allowed signers text ---------------------------------------------------------------------


def test_allowed_signers_text() -> None:
    roster = {
        "people": [
            person("ann", key(f"{KEY_A} ann@laptop", valid_until="2026-07-31")),
            # daylight saving time starts on 2026-03-29 and ends on 2026-10-25 in Berlin
            person("ben", key(KEY_B, "2026-03-29", valid_until="2026-10-25")),
            person(
                "cat", key(KEY_C, "1969-06-01"), key(KEY_C, "2026-01-01", valid_until="2025-12-31")
            ),
            person("dora", key(KEY_D, revoked_at="2026-06-01"), key(KEY_D, "2027-01-01")),
            person("eve", key(KEY_A.replace("IOcy", "IOcz"))),
            person("fay", key(KEY_A.replace("IOcy", "IOcz"))),
        ]
    }
    assert signers.allowed_signers(roster, OFFICE) == (
        "# Allowed signers for git, generated by casetrail from schema/roster.yaml: do not edit.\n"
        "# Key validity dates are whole days in Europe/Berlin, written here as UTC instants.\n"
        f'ann@demo.invalid namespaces="git",valid-after="20260104230000Z",valid-before="20260731215959Z" {KEY_A} ann\n'
        f'ben@demo.invalid namespaces="git",valid-after="20260328230000Z",valid-before="20261025225959Z" {KEY_B} ben\n'
        f'cat@demo.invalid namespaces="git" {KEY_C} cat\n'
    )
    # in another office the same dates are other instants
    assert 'valid-after="20260105050000Z"' in signers.allowed_signers(roster, "America/New_York")
    with pytest.raises(ValueError, match="time zone"):
        signers.allowed_signers(roster, "Mars/Olympus_Mons")


def test_key_types_git_checks_come_first() -> None:
    name = b"sk-ssh-ed25519@openssh.com"
    blob = b"".join(
        len(part).to_bytes(4, "big") + part for part in (name, bytes(range(32)), b"ssh:")
    )
    sk = f"{name.decode()} {base64.b64encode(blob).decode()}"
    assert sshsig.canonical_key(sk) == sk
    roster = {"people": [person("aaa", key(sk)), person("zed", key(KEY_A))]}
    lines = signers.allowed_signers(roster, OFFICE).splitlines()[2:]
    assert [line.split()[0] for line in lines] == ["zed@demo.invalid", "aaa@demo.invalid"]


# ---- ssh-keygen reads the file as authorise judges ----------------------------------------------


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, str], dict[str, Path]]:
    """Three fresh keys and a signature by each (what find-principals looks up)."""
    folder = tmp_path_factory.mktemp("signers")
    message = folder / "message"
    message.write_text("payload\n")
    publics, signatures = {}, {}
    for name in ("ann", "ben", "cat"):
        path = folder / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(path), str(message)],
            check=True,
        )
        signatures[name] = message.with_name(f"{name}.sig")
        message.with_name("message.sig").rename(signatures[name])
        publics[name] = path.with_suffix(".pub").read_text()
    return folder, publics, signatures


def find_principal(allowed: Path, signature: Path, moment: datetime, zone: str) -> str | None:
    stamp = moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")
    result = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "find-principals",
            "-f",
            str(allowed),
            "-s",
            str(signature),
            f"-Overify-time={stamp}",
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "TZ": zone},
    )
    return result.stdout.strip() if result.returncode == 0 else None


def edges(valid_from: date, valid_until: date | None) -> list[datetime]:
    start = datetime.combine(valid_from, datetime.min.time(), BERLIN)
    moments = [start - timedelta(seconds=1), start, start + timedelta(hours=1)]
    if valid_until is not None:
        end = datetime.combine(valid_until + timedelta(days=1), datetime.min.time(), BERLIN)
        moments += [end - timedelta(hours=1), end - timedelta(seconds=1), end]
    return moments


def test_ssh_keygen_finds_exactly_the_keys_authorise_allows(
    signed: tuple[Path, dict[str, str], dict[str, Path]],
) -> None:
    folder, publics, signatures = signed
    windows = {
        "ann": (date(2026, 1, 5), date(2026, 7, 31)),  # ends in summer time
        "ben": (date(2026, 3, 29), date(2026, 10, 25)),  # both ends on a clock-change day
        "cat": (date(2026, 11, 2), None),  # starts in winter time
    }
    roster = {
        "people": [
            person(
                name, key(publics[name], str(start), **({"valid_until": str(end)} if end else {}))
            )
            for name, (start, end) in windows.items()
        ]
    }
    allowed = folder / "allowed_signers"
    allowed.write_text(signers.allowed_signers(roster, OFFICE))
    keys = signers.signing_keys(roster)
    checked = 0
    for name, (start, end) in windows.items():
        for moment in edges(start, end):
            verdict = signers.authorise(keys, publics[name], moment, f"{name}@demo.invalid", OFFICE)
            expected = f"{name}@demo.invalid" if verdict.ok else None
            assert verdict.code in (None, "CT805")
            for zone in ("UTC", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati"):
                assert find_principal(allowed, signatures[name], moment, zone) == expected, (
                    name,
                    moment,
                    zone,
                )
                checked += 1
    assert checked == 4 * (6 + 6 + 3)


# ---- authorise -----------------------------------------------------------------------------------


@pytest.fixture
def office() -> list[signers.SigningKey]:
    return signers.signing_keys(
        {
            "people": [
                person("ann", key(KEY_A, valid_until="2026-07-31"), key(KEY_A, "2026-09-01")),
                person("ben", key(KEY_B, revoked_at="2026-06-01")),
                person("cat", key(KEY_C, "2026-03-01")),
                person("dan", key(KEY_D)),
                person("dan2", key(KEY_D)),
            ]
        }
    )


def test_authorised(office: list[signers.SigningKey]) -> None:
    found = signers.authorise(
        office, f"{KEY_A} ann@laptop", at("2026-03-10T10:00:00+01:00"), "Ann@Demo.Invalid ", OFFICE
    )
    assert found.ok and found.code is None and found.problem is None
    assert (
        found.person == "ann"
        and found.key is not None
        and found.key.valid_until == date(2026, 7, 31)
    )


def test_unknown_key_is_ct503(office: list[signers.SigningKey]) -> None:
    stranger = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFdAjfx9OwAWWhL7aP6tx0ot5G9Pt7714wiPSn/3ouZ"
    found = signers.authorise(
        office, stranger, at("2026-03-10T10:00:00+01:00"), "ann@demo.invalid", OFFICE
    )
    assert (found.person, found.key, found.code) == (None, None, "CT803")
    assert found.problem == "signing key is not in the roster"
    assert (
        signers.authorise(office, "garbage", at("2026-03-10T10:00:00Z"), "x", OFFICE).code
        == "CT803"
    )


def test_key_of_two_people_is_ct503(office: list[signers.SigningKey]) -> None:
    found = signers.authorise(
        office, KEY_D, at("2026-03-10T10:00:00+01:00"), "dan@demo.invalid", OFFICE
    )
    assert found.code == "CT803" and found.person is None
    assert found.problem is not None and "dan, dan2" in found.problem


def test_revoked_key_is_ct506_whatever_the_date(office: list[signers.SigningKey]) -> None:
    for when in (
        "2026-02-01T10:00:00+01:00",
        "2026-07-01T10:00:00+02:00",
        "2025-01-01T10:00:00+01:00",
    ):
        found = signers.authorise(office, KEY_B, at(when), "someone@else.invalid", OFFICE)
        assert (found.person, found.code) == ("ben", "CT806")
        assert found.problem == "ben's key was revoked on 2026-06-01"


def test_outside_dates_is_ct505_before_the_committer_check(
    office: list[signers.SigningKey],
) -> None:
    found = signers.authorise(
        office, KEY_C, at("2026-02-28T23:59:59+01:00"), "other@demo.invalid", OFFICE
    )
    assert (found.person, found.code) == ("cat", "CT805")
    assert (
        found.problem
        == "cat's key is valid from 2026-03-01 onwards, not at 2026-02-28T23:59:59+01:00"
    )
    # the same instant written in UTC is judged on the office's clock
    assert signers.authorise(
        office, KEY_C, at("2026-02-28T23:00:00+00:00"), "cat@demo.invalid", OFFICE
    ).ok
    assert (
        signers.authorise(
            office, KEY_C, at("2026-02-28T22:59:59+00:00"), "cat@demo.invalid", OFFICE
        ).code
        == "CT805"
    )


def test_window_edges_and_several_entries_of_one_key(office: list[signers.SigningKey]) -> None:
    def code(when: str) -> str | None:
        return signers.authorise(office, KEY_A, at(when), "ann@demo.invalid", OFFICE).code

    assert code("2026-01-04T23:59:59+01:00") == "CT805"
    assert code("2026-01-05T00:00:00+01:00") is None
    assert code("2026-07-31T23:59:59+02:00") is None  # valid_until is inclusive
    assert code("2026-08-01T00:00:00+02:00") == "CT805"
    assert code("2026-08-31T23:59:59+02:00") == "CT805"
    assert code("2026-09-01T00:00:00+02:00") is None  # the second entry of the same key
    found = signers.authorise(
        office, KEY_A, at("2026-08-15T12:00:00+02:00"), "ann@demo.invalid", OFFICE
    )
    assert found.problem == (
        "ann's key is valid from 2026-01-05 to 2026-07-31 and from 2026-09-01 onwards, "
        "not at 2026-08-15T12:00:00+02:00"
    )


def test_signer_who_is_not_the_committer_is_ct504(office: list[signers.SigningKey]) -> None:
    found = signers.authorise(
        office, KEY_A, at("2026-03-10T10:00:00+01:00"), "cat@demo.invalid", OFFICE
    )
    assert (found.person, found.code) == ("ann", "CT804")
    assert (
        found.problem
        == "signed with ann's key (ann@demo.invalid) but the committer is cat@demo.invalid"
    )


def test_authorise_needs_an_aware_time_and_a_real_zone(office: list[signers.SigningKey]) -> None:
    with pytest.raises(ValueError, match="aware"):
        signers.authorise(office, KEY_A, datetime(2026, 3, 10, 10), "ann@demo.invalid", OFFICE)
    with pytest.raises(ValueError, match="time zone"):
        signers.authorise(
            office, KEY_A, at("2026-03-10T10:00:00Z"), "ann@demo.invalid", "Nowhere/Else"
        )
