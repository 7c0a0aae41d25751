"""Known-issue DB: schema, loader and the multi-pattern matcher (ARCHITECTURE 3.5)."""

from agent.knowledge.loader import load_known_issues, parse_known_issues
from agent.knowledge.matcher import IssueMatch, KnowledgeBase
from agent.knowledge.schema import IssueFix, KnownIssue, WrongFix

__all__ = ["IssueFix", "IssueMatch", "KnowledgeBase", "KnownIssue", "WrongFix", "load_known_issues",
           "parse_known_issues"]
