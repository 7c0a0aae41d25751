"""Regenerate the shipped sample run-logs: `python -m evals.samples.generate`."""

from __future__ import annotations

import shutil
from pathlib import Path

from evals.synth import StepSpec, write_run_layout

HERE = Path(__file__).parent
OLD_IMAGE = "nvidia/cuda:11.8.0-devel-ubuntu18.04"
GLIBC_LINE = ("/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found "
              "(required by /__e/node20/bin/node)")


def glibc_container_steps() -> dict[str, list[StepSpec]]:
    """A container build whose first Node 20 action cannot start: the Ubuntu 18.04 libc is too old."""
    checkout = StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4", with_={"submodules": "recursive"},
                        lines=[GLIBC_LINE, GLIBC_LINE.replace("GLIBC_2.28", "GLIBC_2.25")], failed=True)
    return {"build": [checkout,
                      StepSpec(name="Build", command="cmake --build build --parallel 4", noise=400, failed=False),
                      StepSpec(name="actions/upload-artifact@v4", uses="actions/upload-artifact@v4")]}


def main() -> None:
    target = HERE / "glibc-container"
    shutil.rmtree(target, ignore_errors=True)
    write_run_layout(target, glibc_container_steps(), workflow=".github/workflows/build-test-lin-container.yml",
                     container=OLD_IMAGE, seed=7)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
