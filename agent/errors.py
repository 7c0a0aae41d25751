"""Errors a user sees as one line: the CLI prints the message and exits non-zero."""


class AgentError(Exception):
    """An expected failure with a message fit for one line on stderr."""

    exit_code = 2


class BadInput(AgentError):
    """The input (a log, a file, a flag) cannot be used."""


class ConfigError(AgentError):
    """A configuration file (policies.yaml, known-issues.yaml) is invalid."""
