"""Resolve a fix's params against a checkout (e.g. the current cache-key number) through tools.fixes."""

from __future__ import annotations

from pathlib import Path

from agent.models import FixSpec

MAX_FILE_BYTES = 2 << 20
_SKIP_DIRS = {".git", "node_modules", ".venv", "build", "vcpkg_installed"}


def _repo_files(repo_dir: Path, globs: tuple[str, ...], matches_any) -> dict[str, str]:
    """Repo-relative path → text for every file matching `globs`."""
    files = {}
    for path in sorted(repo_dir.rglob("*")):
        rel = path.relative_to(repo_dir)
        if set(rel.parts[:-1]) & _SKIP_DIRS or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        if matches_any(rel.as_posix(), globs):
            files[rel.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return files


def resolve_fix(fix: FixSpec, repo_dir: str | Path) -> FixSpec:
    """`fix` with the params the template resolves on `repo_dir`; unchanged if it does not apply."""
    try:
        from tools.fixes import TEMPLATES, NotApplicable, apply_template
        from tools.fixes.base import matches_any
    except ImportError:
        return fix
    template = TEMPLATES.get(fix.template)
    if template is None:
        return fix
    extra = tuple(v for k, v in fix.params.items() if k in ("manifest", "config") and isinstance(v, str))
    files = _repo_files(Path(repo_dir), template.touches + extra, matches_any)
    try:
        result = apply_template(fix.template, files, fix.params)
    except (NotApplicable, ValueError):
        return fix
    return FixSpec(template=fix.template, params=result.params)
