"""Ships the data the agent reads at run time inside the wheel, under agent/_data (read via importlib.resources)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DEMO_CASES = ("glibc-node20-old-container", "sfml-3-component-system", "novel-ci-script-keyerror")
SHIPPED = ["guides", "prompts", "policies.yaml", "evals/upstream/aprapipes",
           *(f"evals/cases/{case}" for case in DEMO_CASES)]
"""Source-tree paths copied to agent/_data/<same path>: the known-issue DB and guides, the prompts,
the default policy, and the eval cases `agent demo` seeds its sandbox from."""


class BuildWithData(build_py):
    """build_py, then the shipped data beside the code (an editable install reads the source tree instead)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "agent" / "_data"
        for name in SHIPPED:
            source, dest = ROOT / name, target / name
            if not source.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithData})
