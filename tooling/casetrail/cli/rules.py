"""`casetrail rules`: every finding code with its one-line summary."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules(fmt: str) -> int:
    """List every finding code, its name and what it means."""
    from casetrail.core.rules import RULES

    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "summary": r.summary,
                        "severity": r.severity.value,
                        "stage": r.stage,
                    }
                    for r in RULES.values()
                ],
                indent=2,
            )
        )
        return 0
    for rule in sorted(RULES.values(), key=lambda r: r.code):
        flag = " (warning)" if rule.severity.value == "warning" else ""
        click.echo(f"{rule.code}  {rule.name:<32} {rule.summary}{flag}")
    return 0
