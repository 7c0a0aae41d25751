"""Rebuild evals/cases/ from the case tables: case.yaml, logs/ (run-zip layout) and repo/.

Run: python -m evals.build_cases [CASES_DIR]. Re-running writes the same bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import yaml

from evals import case_repo
from evals.case_kit import RUN_NAMES
from evals.case_table_generic import CASES as GENERIC
from evals.case_table_other import CASES as OTHER
from evals.case_table_rows_a import CASES as ROWS_A
from evals.case_table_rows_b import CASES as ROWS_B
from evals.synth import write_run_layout

CASES = ROWS_A + ROWS_B + GENERIC + OTHER
DEFAULT_DIR = Path(__file__).parent / "cases"


def seed_of(case_id: str) -> int:
    """A stable per-case seed for the log noise."""
    return int(hashlib.sha1(case_id.encode("utf-8")).hexdigest()[:6], 16)


def case_yaml(spec: dict) -> dict:
    """The case.yaml document (ARCHITECTURE 3.4) for one spec."""
    run = {"workflow": RUN_NAMES[spec["run"]], "name": spec["run"], "event": spec["event"],
           "head_branch": spec["head_branch"], "actor": spec["actor"]}
    if spec.get("head_repo"):
        run["head_repository"] = spec["head_repo"]
    return {"id": spec["id"], "title": spec["title"],
            "repo": {"full_name": "Apra-Labs/ApraPipes", "default_branch": "main"},
            "run": run, "expect": spec["expect"]}


def repo_files(spec: dict) -> dict[str, str]:
    """The base repository with the case's edit applied."""
    files = case_repo.base_files()
    if spec.get("edit"):
        spec["edit"](files)
    return files


def write_case(spec: dict, root: Path) -> Path:
    """Write one case directory from scratch."""
    case_dir = root / spec["id"]
    if case_dir.exists():
        shutil.rmtree(case_dir)
    (case_dir / "logs").mkdir(parents=True)
    text = yaml.safe_dump(case_yaml(spec), sort_keys=False, allow_unicode=True, width=120)
    (case_dir / "case.yaml").write_bytes(text.encode("utf-8"))
    jobs = {j["name"]: j["steps"] for j in spec["jobs"]}
    per_job = {key: {j["name"]: j.get(key) for j in spec["jobs"]}
               for key in ("labels", "workflow", "container", "setup_error", "container_error")}
    ref = f"refs/heads/{spec['head_branch']}" if spec["event"] != "pull_request" else "refs/pull/1187/merge"
    write_run_layout(case_dir / "logs", jobs, seed=seed_of(spec["id"]), ref=ref, **per_job)
    for rel, content in sorted(repo_files(spec).items()):
        path = case_dir / "repo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
    return case_dir


def main(argv: list[str]) -> int:
    """Write every case; print one line per case with its log size."""
    root = Path(argv[0]) if argv else DEFAULT_DIR
    root.mkdir(parents=True, exist_ok=True)
    ids = [spec["id"] for spec in CASES]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate case ids")
    for spec in CASES:
        case_dir = write_case(spec, root)
        size = sum(p.stat().st_size for p in (case_dir / "logs").rglob("*") if p.is_file())
        print(f"{spec['id']:48} {size // 1024:5d} KB")
    print(f"{len(CASES)} cases in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
