"""The safety gate: policies.yaml schema, decide(), rate-limit counters and blast radius."""

from agent.policy.decisions import Allow, Decision, Deny, Downgrade, decision_from_dict
from agent.policy.fixkey import fix_key
from agent.policy.gate import GateContext, decide, summary
from agent.policy.limits import LIMITS, Limit, Usage, first_exceeded
from agent.policy.paths import PathVerdict, UnsafePath, classify, normalise
from agent.policy.schema import Policy, load_policy, parse_policy

__all__ = [
    "LIMITS", "Allow", "Decision", "Deny", "Downgrade", "GateContext", "Limit", "PathVerdict", "Policy",
    "UnsafePath", "Usage", "classify", "decide", "decision_from_dict", "first_exceeded", "fix_key",
    "load_policy", "normalise", "parse_policy", "summary",
]
