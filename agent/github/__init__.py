"""The only code that talks to GitHub: PyGithub transport, raw `requests` for logs, our retry policy."""

from agent.github.auth import InstallationToken, StaticToken, app_jwt
from agent.github.client import GITHUB_COM, GitHub
from agent.github.errors import (
    AuthError,
    Conflict,
    GitHubError,
    HeadMoved,
    LogTooLarge,
    NetworkError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    WorkflowPermissionMissing,
    WriteUncertain,
)
from agent.github.git import git_blob_sha
from agent.github.logs import LogBytes
from agent.github.retry import Retrier, RetryPolicy

__all__ = [
    "GITHUB_COM", "AuthError", "Conflict", "GitHub", "GitHubError", "HeadMoved", "InstallationToken",
    "LogBytes", "LogTooLarge", "NetworkError", "NotFound", "PermissionDenied", "RateLimited", "Retrier",
    "RetryPolicy", "ServerError", "StaticToken", "WorkflowPermissionMissing", "WriteUncertain", "app_jwt",
    "git_blob_sha",
]
