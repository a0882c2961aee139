"""`casetrail site`: the auditors' site pages as Markdown files (for another MkDocs-compatible
builder). The data comes from shell/sitegather.py, as for the MkDocs adapter (cli/siteplugin.py);
nothing is decrypted.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from casetrail.cli.main import UserError, repository_root

MANIFEST = ".casetrail-pages"  # what the last run wrote into --out, one path a line


def write_pages(pages: dict[str, str], out: Path) -> None:
    """Write the pages, then remove those an earlier run wrote that are no longer generated
    (a case that left the records must leave the site); files we did not write stay."""
    from casetrail.shell.repo import atomic_write

    manifest = out / MANIFEST
    try:
        earlier = set(manifest.read_text("utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        earlier = set()
    for rel, text in sorted(pages.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode())
    atomic_write(manifest, "".join(f"{rel}\n" for rel in sorted(pages)).encode())
    for rel in sorted(earlier - pages.keys()):
        stale = out / rel
        if ".." not in Path(rel).parts and stale.is_file() and not stale.is_symlink():
            stale.unlink()


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/site-pages"),
    show_default=True,
    help="Where to write the generated Markdown pages.",
)
@click.option("--as-of", default=None, help="The moment the figures are for (default: now).")
@click.pass_context
def site(ctx: click.Context, out: Path, as_of: str | None) -> int:
    """Write the auditors' site pages as Markdown (for `mkdocs build` use mkdocs.yml instead).

    Never decrypts: encrypted sections and documents appear as "encrypted for N recipients"."""
    from casetrail.core import sitepages

    root = repository_root(ctx)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: not a folder")
    from casetrail.cli.common import office_moment_at
    from casetrail.shell import sitegather

    try:
        data = sitegather.site_data(root, office_moment_at(as_of, root))
    except sitegather.UnsafeRecords as error:
        raise UserError(str(error)) from None
    pages = sitepages.render(data)
    write_pages(pages, out)
    click.echo(f"{len(pages)} pages written to {out}{os.sep}")
    return 0
