"""The import direction of DESIGN.md: core is pure, shells use core, entry points use both."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tooling" / "casetrail"
# Modules the pure core may not import: anything that does I/O or talks to the outside.
IMPURE = {
    "subprocess",
    "os",
    "shutil",
    "socket",
    "tempfile",
    "pathlib",
    "git",
    "pyrage",
    "click",
    "urllib",
    "http",
    "requests",
    "mkdocs",
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "casetrail" and len(parts) > 1 else None


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def test_core_imports_only_core_and_no_io() -> None:
    for path in modules("core"):
        for name in imports(path):
            assert layer_of(name) in (None, "core"), f"{path.name} imports {name}"
            assert name.split(".")[0] not in IMPURE, f"{path.name} imports {name} (I/O)"


def test_shells_never_import_entry_points() -> None:
    for path in modules("shell"):
        for name in imports(path):
            assert layer_of(name) != "cli", f"{path.name} imports {name}"


def test_only_the_git_module_runs_git_and_only_cipher_touches_keys() -> None:
    for path in PACKAGE.rglob("*.py"):
        names = imports(path)
        if "subprocess" in names:  # git, the user's editor, and a command that prints keys
            assert path.name in {"git.py", "editor.py", "keysource.py"}, f"{path} runs processes"
        if "pyrage" in names:
            assert path.name in {"cipher.py", "keystore_dir.py"}, f"{path} imports pyrage"


def test_check_path_stays_light() -> None:
    """A pre-commit run imports neither jsonschema, GitPython, pyrage, ruamel nor cryptography
    (the audit's signature checks) at start-up."""
    import subprocess
    import sys

    code = (
        "import sys; import casetrail.cli.main, casetrail.cli.check, casetrail.shell.index;"
        "print(','.join(m for m in ('jsonschema', 'git', 'pyrage', 'ruamel', 'cryptography') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
