"""The offline eval harness: cases → the whole pipeline against the sandbox → scored metrics and reports."""

from agent.evals.cases import CaseSpec, load_cases
from agent.evals.observe import FileChange, Observation, Write
from agent.evals.scoring import CaseResult, aggregate, by_category, by_split, score_case

__all__ = ["CaseResult", "CaseSpec", "FileChange", "Observation", "Write", "aggregate", "by_category", "by_split",
           "load_cases", "score_case"]
