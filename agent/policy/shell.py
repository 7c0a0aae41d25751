"""What a `run:` script does, read with a real shell parser (bashlex): remote code, env-file writes, loader vars."""

from __future__ import annotations

import functools
import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import bashlex

DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-download", "lwp-request"})
INTERPRETERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "python",
                          "python2", "python3", "pypy", "pypy3", "perl", "ruby", "node", "nodejs", "deno", "bun",
                          "php", "lua", "pwsh", "powershell", "eval", "source", ".", "exec", "osascript", "tclsh"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"})
WRAPPERS = frozenset({"sudo", "doas", "env", "nohup", "time", "command", "builtin", "xargs", "stdbuf", "nice",
                      "timeout", "ionice", "setsid", "unbuffer", "chronic", "exec", "--"})
_WRAPPER_VALUE_FLAGS = {"sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"},
                        "env": {"-u", "-C", "-S"}, "xargs": {"-I", "-n", "-P", "-L", "-s", "-d", "-E", "-a"},
                        "nice": {"-n"}, "ionice": {"-c", "-n"}, "stdbuf": {"-i", "-o", "-e"},
                        "timeout": {"-s", "-k", "--signal", "--kill-after"}}
ENV_FILES = ("GITHUB_ENV", "GITHUB_PATH", "BASH_ENV")
DANGEROUS_ENV = frozenset({
    "BASH_ENV", "ENV", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "DYLD_LIBRARY_PATH",
    "GITHUB_TOKEN", "GITHUB_ENV", "GITHUB_PATH", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "PS4", "IFS",
    "PYTHONSTARTUP", "PYTHONPATH", "PERL5OPT", "PERL5LIB", "RUBYOPT", "NODE_OPTIONS", "GIT_SSH_COMMAND",
    "GIT_ASKPASS", "SSH_ASKPASS", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ALLOW_UNSECURE_COMMANDS", "RUNNER_TEMP", "PATH",
})
"""Variables that load code into every later process or carry the job's token: never set by an edit."""
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_DOUBLE_BRACKET = re.compile(r"(?<![^\s;&|(])\[\[(?=\s)|(?<=\s)\]\](?=$|[\s;&|)])", re.MULTILINE)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=")
_DOWNLOAD_WORD = re.compile(r"(?i)\b(curl|wget|fetch|aria2c|invoke-webrequest|iwr|irm|invoke-restmethod)\b")


def prepare(script: str) -> str:
    """The script as bash sees it after the runner's substitution; `[[ ]]` and `$(( ))` made parseable."""
    script = _EXPRESSION.sub("GHEXPR", script)
    script = _DOUBLE_BRACKET.sub(lambda m: m.group(0)[0], script)
    return _arithmetic_as_command(script)


def _arithmetic_as_command(script: str) -> str:
    """`$(( e ))` → `$(: e )` so bashlex parses it and command substitutions inside stay visible."""
    out, at = [], 0
    while (start := script.find("$((", at)) >= 0:
        depth, end = 0, start + 1
        while end < len(script):
            depth += {"(": 1, ")": -1}.get(script[end], 0)
            if depth == 0:
                break
            end += 1
        if end >= len(script) or script[end - 1] != ")":
            break
        out += [script[at:start], "$(: ", script[start + 3:end - 1], " )"]
        at = end + 1
    return "".join(out) + script[at:]


MAX_SCRIPT = 32_000
"""Longer scripts are not parsed (bashlex is pure Python): a changed one is refused as unreadable."""


def parse(script: str) -> list[Any] | None:
    """The bashlex trees of `script`, or None when it cannot be parsed (or is too long to parse)."""
    if len(script) > MAX_SCRIPT:
        return None
    try:
        return bashlex.parse(prepare(script))
    except Exception:  # noqa: BLE001 - bashlex raises several kinds (ParsingError, NotImplementedError…)
        return None


def nodes(node: Any) -> Iterator[Any]:
    """`node` and every node below it, in source order (substitutions included)."""
    yield node
    for name in ("parts", "list"):
        for child in getattr(node, name, None) or []:
            yield from nodes(child)
    for name in ("command", "output", "heredoc"):
        child = getattr(node, name, None)
        if child is not None and hasattr(child, "kind"):
            yield from nodes(child)


def words(command: Any) -> list[Any]:
    return [part for part in command.parts if part.kind == "word"]


def command_name(command: Any) -> tuple[str, int]:
    """The program a command runs after wrappers (`sudo -E bash` → bash) and its word index."""
    items, at = [w.word for w in words(command)], 0
    wrapper = None
    while at < len(items):
        word = items[at]
        base = posixpath.basename(word) if word not in (".",) else word
        if wrapper and (word.startswith("-") or (wrapper == "env" and _ASSIGNMENT.match(word))):
            at += 2 if word in _WRAPPER_VALUE_FLAGS.get(wrapper, ()) else 1
            continue
        if wrapper == "timeout" and re.fullmatch(r"[\d.]+[smhd]?", word):
            at += 1
            continue
        if base in WRAPPERS:
            wrapper, at = base, at + 1
            continue
        return base.lower(), at
    return "", at


def _is_interpreter(name: str) -> bool:
    return name in INTERPRETERS or bool(re.fullmatch(r"(python|pypy|perl|ruby|php|node)[\d.]*", name))


def _downloads(tree: Any) -> bool:
    return any(n.kind == "command" and command_name(n)[0] in DOWNLOADERS for n in nodes(tree))


def _substituted_download(word: Any) -> bool:
    return any(n.kind in ("commandsubstitution", "processsubstitution") and _downloads(n.command)
               for n in nodes(word) if n is not word)


def download_targets(command: Any) -> set[str]:
    """Files a downloader command writes (`-o f`, `-O f`, `--output=f`, `> f`, wget's URL basename)."""
    items = [w.word for w in words(command)]
    name, at = command_name(command)
    found: set[str] = set()
    for index, word in enumerate(items[at + 1:], start=at + 1):
        nxt = items[index + 1] if index + 1 < len(items) else ""
        if word in ("-o", "--output", "-O", "--output-document", "-P") and nxt not in ("-", ""):
            found.add(posixpath.basename(nxt))
        elif re.match(r"^--output(-document)?=", word):
            found.add(posixpath.basename(word.split("=", 1)[1]))
        elif word == "-O" or (name == "wget" and "://" in word):
            found.add(posixpath.basename(word.rstrip("/")))
        elif word.startswith("-o") and len(word) > 2 and name == "curl":
            found.add(posixpath.basename(word[2:]))
    for part in command.parts:
        if part.kind == "redirect" and part.type in (">", ">>") and hasattr(part.output, "word"):
            found.add(posixpath.basename(part.output.word))
    return {name for name in found if name and name != "-"}


def command_findings(command: Any, downloaded: set[str]) -> list[str]:
    """Remote code, env-file writes and loader variables in one simple command."""
    found, items = [], words(command)
    name, at = command_name(command)
    args = [w.word for w in items[at + 1:]]
    if items and at < len(items) and (_substituted_download(items[at]) or posixpath.basename(items[at].word)
                                      in downloaded):
        found.append("remote code execution: runs a downloaded file")
    elif _is_interpreter(name) and any(_substituted_download(w) for w in items[at + 1:]):
        found.append(f"remote code execution: {name} runs a download")
    elif _is_interpreter(name) and {posixpath.basename(a) for a in args} & downloaded:
        found.append(f"remote code execution: {name} runs a downloaded file")
    for part in command.parts:
        if part.kind == "redirect":
            found += _redirect_findings(part, name)
    if name == "tee":
        found += [f"writes to ${var}" for var in ENV_FILES for a in args if var in a]
    if name in SHELLS and "-c" in args[:-1]:
        found += nested_findings(args[args.index("-c") + 1])
    found += _assignment_findings(command)
    return found


def _redirect_findings(redirect: Any, name: str) -> list[str]:
    target = getattr(redirect.output, "word", "") if hasattr(redirect.output, "word") else ""
    found = [f"writes to ${var}" for var in ENV_FILES if redirect.type in (">", ">>", ">|") and var in target]
    heredoc = getattr(getattr(redirect, "heredoc", None), "value", "") or ""
    if _is_interpreter(name) and (_DOWNLOAD_WORD.search(heredoc) or _substituted_download(redirect.output)):
        found.append(f"remote code execution: {name} reads a download")
    return found


def _assignment_findings(command: Any) -> list[str]:
    names = [m.group(1) for part in command.parts if part.kind in ("assignment", "word")
             if (m := _ASSIGNMENT.match(getattr(part, "word", "")))]
    return [f"sets ${var}" for var in names if var.upper() in DANGEROUS_ENV]


def pipeline_findings(pipeline: Any) -> list[str]:
    """A download piped into an interpreter anywhere later in the same pipeline."""
    commands = [part for part in pipeline.parts if part.kind == "command"]
    for index, command in enumerate(commands):
        if command_name(command)[0] in DOWNLOADERS or any(_substituted_download(w) for w in words(command)):
            later = [command_name(c)[0] for c in commands[index + 1:]]
            hits = [name for name in later if _is_interpreter(name)]
            if hits:
                return [f"remote code execution: a download piped into {hits[0]}"]
    return []


def script_findings(script: str) -> Counter[str] | None:
    """Every dangerous thing the script does, counted; None when the script cannot be parsed."""
    found = _cached_findings(script)
    return None if found is None else Counter(dict(found))


@functools.lru_cache(maxsize=1024)
def _cached_findings(script: str) -> tuple[tuple[str, int], ...] | None:
    """script_findings as a hashable value, remembered: the gate asks again before every write."""
    found = _findings(script)
    return None if found is None else tuple(sorted(found.items()))


def _findings(script: str) -> Counter[str] | None:
    trees = parse(script)
    if trees is None:
        return None
    found: Counter[str] = Counter()
    downloaded: set[str] = set()
    for tree in trees:
        for node in nodes(tree):
            if node.kind == "pipeline":
                found.update(pipeline_findings(node))
                downloaded |= _tee_targets(node)
            elif node.kind == "command":
                found.update(command_findings(node, downloaded))
                if command_name(node)[0] in DOWNLOADERS:
                    downloaded |= download_targets(node)
    return found


def _tee_targets(pipeline: Any) -> set[str]:
    commands = [part for part in pipeline.parts if part.kind == "command"]
    if not commands or command_name(commands[0])[0] not in DOWNLOADERS:
        return set()
    return {posixpath.basename(w.word) for c in commands[1:] if command_name(c)[0] == "tee"
            for w in words(c)[command_name(c)[1] + 1:] if not w.word.startswith("-")}


def nested_findings(script: str) -> list[str]:
    """Findings of a `sh -c '…'` argument; an unparseable one counts as hidden code."""
    found = script_findings(script)
    if found is None:
        return ["remote code execution: an unparseable sh -c script"] if _DOWNLOAD_WORD.search(script) else []
    return list(found.elements())
