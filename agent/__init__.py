"""devops-agent: keeps a repository's GitHub Actions CI green."""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""Where the shipped guides/, prompts/, policies.yaml and evals/ live (a source checkout)."""
