"""A local GitHub for tests, demo and eval: REST subset over HTTP, CI simulator, webhooks, faults."""

from agent.sandbox.sandbox import Sandbox

__all__ = ["Sandbox"]
