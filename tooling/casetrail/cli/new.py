"""`casetrail new`: register a case from its type's intake template."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from casetrail.cli.common import acting_person, moment, office
from casetrail.cli.main import UserError

if TYPE_CHECKING:
    from casetrail.shell.keystore_dir import DirectoryKeyStore


@click.command()
@click.option("--type", "case_type", required=True, help="A case type from schema/policy.yaml.")
@click.option("--priority", type=click.Choice(["high", "medium", "low"]), required=True)
@click.option("--title", required=True, help="Short and non-identifying: no names or contacts.")
@click.option("--channel", default=None, help="How it arrived (default: the policy's first).")
@click.option("--received-at", default=None, help="When it arrived (default: now).")
@click.option(
    "--reason", default="priority set at intake", show_default=True, help="Why this priority."
)
@click.option("--by", default=None, help="Who registers it (default: from git user.email).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--dry-run", is_flag=True, help="Print the new file instead of writing it.")
@click.pass_context
def new(
    ctx: click.Context,
    case_type: str,
    priority: str,
    title: str,
    channel: str | None,
    received_at: str | None,
    reason: str,
    by: str | None,
    fmt: str,
    dry_run: bool,
) -> int:
    """Register a new case at cases/<year>/<id>.md from its type's intake template."""
    from casetrail.cli.sealing import section_sets
    from casetrail.core import engine, envelope, ids, recipients, sla, template
    from casetrail.core.case import Case
    from casetrail.core.report import REPORTERS, Report, ordered
    from casetrail.shell import cipher, demoseed, repo

    where = office(ctx)
    root, config, calendar = where.root, where.config, where.calendar
    policy = config.policy
    spec = policy.case_types.get(case_type)
    if spec is None:
        raise UserError(
            f"--type {case_type}: not a case type; one of " + ", ".join(sorted(policy.case_types))
        )
    person = acting_person(root, config.roster, by)
    registered_moment = moment(None, calendar)
    received_moment = (
        moment(received_at, calendar, "--received-at") if received_at else registered_moment
    )
    if received_moment > registered_moment:
        raise UserError(
            f"--received-at {received_at} is after the registration ({registered_moment})"
        )
    registered = sla.stamp(registered_moment)
    if (
        demoseed.seed() is not None
        and not {p.age_recipient for p in config.roster.people.values()} <= demoseed.DEMO_RECIPIENTS
    ):
        raise UserError(
            f"{demoseed.SEED_VARIABLE} is for the fictional demo office only: this roster holds "
            f"keys that are not demo keys; unset {demoseed.SEED_VARIABLE}"
        )
    for attempt in range(20):
        # os.urandom unless CASETRAIL_DEMO_SEED is set (the reproducible demo office): then the
        # same registration gives the same ID, and the attempt number moves past a clash.
        purpose = json.dumps(["case-id", registered, title, case_type, person.handle, attempt])
        case_id = ids.make(int(registered[:4]), demoseed.random_bytes(purpose.encode(), 8))
        rel = f"cases/{case_id[:4]}/{case_id}.md"
        if not (root / rel).exists():
            break
    else:
        raise UserError("could not find a free case ID; is the random source broken?")
    intake = template.Intake(
        case_id,
        case_type,
        title.strip(),
        priority,
        channel or sorted(policy.channels)[0],
        sla.stamp(received_moment),
        registered,
        person.handle,
        reason,
        sla.at_registration(policy, calendar, received_moment, registered_moment, priority),
    )
    key_store = None
    if recipients.uses_per_case_key(policy, case_type):
        # The key first: the case must never exist encrypted to anything else.
        draft = Case(_head_mapping(template.front_matter(intake)))
        readers = recipients.case_readers(draft, policy, config.roster)
        if dry_run:
            intake = replace(intake, case_key=cipher.throwaway_recipient())
        else:
            key_store = _open_store(root)
            made = _create_key(key_store, case_id, readers, person.handle, registered_moment)
            intake = replace(intake, case_key=made)
    head = template.front_matter(intake)
    sets = section_sets(Case(_head_mapping(head)), config)

    def encrypt(plain: envelope.SectionPlaintext) -> str:
        wanted = sets[plain.section]
        return cipher.encrypt_section(replace(plain, keyset=wanted.fingerprint), wanted.keys)

    text = template.render(intake, spec, encrypt)
    result = engine.check_file(rel, text.encode(), config)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    if errors:
        click.echo(REPORTERS["text"](Report(ordered(errors), 1)), err=True)
        _forget_key(key_store, case_id, person.handle, registered_moment)
        raise UserError("the new case would not be valid; nothing was written")
    if dry_run:
        click.echo(text, nl=False)
        if intake.case_key:
            click.echo("dry run: encrypted to a throwaway per-case key; none was stored", err=True)
        return 0
    try:
        repo.create_exclusive(root / rel, text.encode())
    except BaseException:
        _forget_key(key_store, case_id, person.handle, registered_moment)
        raise
    if fmt == "json":
        click.echo(json.dumps({"id": case_id, "path": rel}))
    else:
        click.echo(f"created {rel} ({case_id}); registered by {person.handle}")
    return 0


def _open_store(root: Path) -> DirectoryKeyStore:
    from casetrail.shell import casekeys

    try:
        return casekeys.open_store(root, "the policy gives new cases a per-case key, but ")
    except casekeys.CaseKeyError as error:
        raise UserError(str(error)) from None


def _create_key(
    store: DirectoryKeyStore, case_id: str, readers: dict[str, str], actor: str, at: datetime
) -> str:
    from casetrail.shell import casekeys

    try:
        return casekeys.create(store, case_id, readers, actor, at)
    except casekeys.CaseKeyError as error:
        raise UserError(f"{error}; nothing was written") from None


def _forget_key(store: DirectoryKeyStore | None, case_id: str, actor: str, at: datetime) -> None:
    """Erase the key made for a case that was not written after all (it encrypted nothing)."""
    from casetrail.core.keystore import KeyStoreError

    if store is not None:
        with contextlib.suppress(KeyStoreError):
            store.erase(case_id, actor, at)


def _head_mapping(head: str) -> dict[str, object]:
    from casetrail.core import yamlstrict

    value = yamlstrict.load(head.strip("-\n")).value
    assert isinstance(value, dict)
    return value
