"""`agent chat`: an engineer's terminal session on one failed run.

It opens with the diagnosis. Commands work with or without a model: `diagnosis`, `log [job] [step]
[--head] [--lines N] [--grep X]` (the end of the failed step by default, where the cause usually
is), `search QUERY`, `fix`, `help`, `quit`. With a model, any other line is a question: the model answers using the read tools, and whatever it stages is shown as a plan with its diff and the
gate's decision, carried out only after an explicit "yes". Input is read line by line (stdin, a
pipe or a test), so EOF ends the session cleanly.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any, TextIO

from agent.drafts import clean
from agent.llm.handoff import (
    carry_out,
    decide_plan,
    diagnose,
    plan_from_draft,
    run_record,
    task_for,
    template_inputs,
)
from agent.llm.limits import Limits
from agent.llm.loop import ToolLoop
from agent.logs.model import Step
from agent.models import Diagnosis, Plan
from agent.planner import build_plan
from agent.policy import summary
from tools.base import PlanDraft, ToolContext
from tools.read_log import LINE_CHARS, chosen_steps
from tools.read_log import Input as LogInput
from tools.registry import Registry, ToolCallError
from tools.runcache import policy_of, run_log

HELP = """commands:
  diagnosis                      the diagnosis again
  log [JOB] [STEP] [--head] [--lines N] [--grep RE]
                                 the end of the failed step (where the cause usually is); --head: its
                                 start; JOB/STEP match parts of names; --grep: matching lines
  search QUERY                   search the troubleshooting guides
  fix                            the template plan, its diff and the gate's decision (asks yes/no)
  help                           this text
  quit                           end the session (so does end of input)"""
QUESTION_HINT = "questions need a model (set ANTHROPIC_API_KEY); type help for the commands"
PROMPT = "agent> "
LOG_LINES = 120
"""Lines `log` shows per step unless --lines says otherwise."""


def render_diagnosis(d: Diagnosis) -> str:
    """The diagnosis as a few lines for a terminal."""
    known = f"{d.known_issue.id} (confidence {d.known_issue.confidence:.2f})" if d.known_issue else "none"
    fix = f"{d.fix.template} {d.fix.params}" if d.fix else "none"
    steps = ", ".join(f"{s.job} / {s.step}" for s in d.failed_steps) or "none marked"
    lines = [f"diagnosis: {d.title or d.category.value}", f"  category:        {d.category.value}",
             f"  known issue:     {known}", f"  proposed action: {d.proposed_action.value}", f"  fix:             {fix}",
             f"  failed steps:    {steps}", f"  signature:       {d.signature}", "  root cause:"]
    lines += [f"    | {line[:300]}" for line in d.root_cause_lines[:12]] or ["    (no error lines found)"]
    return clean("\n".join(lines))


def render_step(step: Step, count: int, head: bool) -> str:
    """The first or last `count` lines of a step, headed by which lines they are of how many."""
    total = len(step.lines)
    first = 1 if head else max(1, total - count + 1)
    last = min(total, first + count - 1)
    hint = ""
    if head and last < total:
        hint = " (the start; `log` alone shows the end)"
    elif first > 1:
        hint = " (the end; `log --head` shows the start)"
    rows = [f"{number:>6}: {line.text[:LINE_CHARS]}" for number, line in enumerate(step.lines, start=1)
            if first <= number <= last]
    return "\n".join([f"== {step.job} / {step.number} {step.name}: lines {first}–{last} of {total}{hint}", *rows])


def log_options(words: list[str]) -> tuple[list[str], dict[str, Any]]:
    """(job/step names, {grep, head, lines}) from the words after `log`; a count that is not a number is ignored."""
    names, options, pending = [], {"grep": None, "head": False, "lines": LOG_LINES}, None
    for word in words:
        if pending == "grep":
            options["grep"], pending = word, None
        elif pending == "lines":
            options["lines"], pending = int(word) if word.isdigit() and int(word) > 0 else LOG_LINES, None
        elif word in ("--grep", "--lines", "-n"):
            pending = "lines" if word != "--grep" else "grep"
        elif word == "--head":
            options["head"] = True
        else:
            names.append(word)
    return names, options


def render_plan(plan: Plan, decision: Any) -> str:
    """A staged plan: what it does, its diff or issue, and what the gate decided."""
    what = f"plan {plan.id}: {plan.action.value} (source {plan.source.value}, confidence {plan.confidence:.2f})"
    lines = [what, f"  rationale: {plan.rationale[:600]}"]
    if plan.diff:
        lines += ["  diff:", plan.diff.rstrip()]
    elif plan.issue is not None and plan.action.value == "escalate":
        lines.append(f"  issue: {plan.issue.title}")
    lines.append(f"gate: {summary(decision)}")
    return clean("\n".join(lines))


class ChatSession:
    """One run, one engineer: commands always, questions when a model is configured."""

    def __init__(self, ctx: ToolContext, model: Any = None, inp: TextIO | None = None, out: TextIO | None = None,
                 limits: Limits | None = None, verify_timeout: float = 1800.0, poll_interval: float = 10.0):
        self.ctx, self.model, self.limits = ctx, model, limits
        self.inp, self.out = inp or sys.stdin, out or sys.stdout
        self.verify_timeout, self.poll_interval = verify_timeout, poll_interval
        self.registry = Registry()
        self.history: list[dict[str, Any]] = []

    def say(self, text: str) -> None:
        self.out.write(text.rstrip("\n") + "\n")
        self.out.flush()

    def read_line(self, prompt: str = PROMPT) -> str | None:
        """One line of input without its newline; None at end of input."""
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        return None if line == "" else line.strip()

    def start(self) -> int:
        """Show the diagnosis, then answer lines until quit or end of input. Returns the exit code."""
        self.say(f"run {self.ctx.run_id} of {self.ctx.repo}" + ("" if self.model else " — reduced mode (no model)"))
        self.say(render_diagnosis(diagnose(self.ctx)))
        while (line := self.read_line()) is not None:
            if line and not self.handle(line):
                return 0
        self.say("bye")
        return 0

    def handle(self, line: str) -> bool:
        """Run one command or question; False ends the session."""
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        command, rest = words[0].lower(), words[1:]
        if command in ("quit", "exit"):
            self.say("bye")
            return False
        handlers = {"help": lambda _: self.say(HELP), "diagnosis": lambda _: self.say(render_diagnosis(diagnose(self.ctx))),
                    "log": self.show_log, "search": self.search, "fix": lambda _: self.fix()}
        if command in handlers:
            handlers[command](rest)
        elif self.model is not None:
            self.ask(line)
        else:
            self.say(QUESTION_HINT)
        return True

    def run_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        """A read tool's raw output for the terminal (redacted), or its error as one line."""
        try:
            call = self.registry.parse(name, arguments)
            return call.tool.run(call.args, self.ctx)
        except (ToolCallError, LookupError, ValueError, OSError) as error:
            self.say(f"error: {clean(str(error))}")
            return None

    def show_log(self, words: list[str]) -> None:
        """The chosen steps' ends (or starts, with --head); with --grep, matching lines via read_log."""
        names, options = log_options(words)
        job, step = (names + [None, None])[:2]
        if options["grep"]:
            arguments = {"job": job, "step": step, "grep": options["grep"]}
            output = self.run_tool("read_log", {key: value for key, value in arguments.items() if value})
            if output is not None:
                self.say(clean(output))
            return
        try:
            steps = chosen_steps(LogInput(job=job, step=step), self.ctx)
        except (LookupError, ValueError, OSError) as error:
            self.say(f"error: {clean(str(error))}")
            return
        if not steps:
            names_found = sorted({f"{s.job} / {s.name}" for s in run_log(self.ctx).steps})
            self.say(clean("error: no step matches; steps are: " + "; ".join(names_found[:40])))
            return
        self.say(clean("\n".join(render_step(s, options["lines"], options["head"]) for s in steps)))

    def search(self, words: list[str]) -> None:
        if not words:
            self.say("usage: search QUERY")
            return
        found = self.run_tool("search_guides", {"query": " ".join(words), "k": 3})
        for hit in (found or {}).get("results", []):
            first = hit["text"].strip().splitlines()[:3]
            self.say(f"guides/{hit['link']} — {hit['title']}\n" + "\n".join(f"    {line}" for line in first))

    def fix(self) -> None:
        """The deterministic plan for the diagnosis: shown with its gate decision, done only on yes."""
        diagnosis = diagnose(self.ctx)
        files = template_inputs(self.ctx, diagnosis.fix) if diagnosis.fix else {}
        plan = build_plan(diagnosis, self.ctx.repo, run_record(self.ctx), files, policy=policy_of(self.ctx),
                          kb=self.ctx.kb)
        self.offer(plan)

    def offer(self, plan: Plan) -> None:
        """Show the plan, its diff and the gate's decision; carry it out only after an explicit yes."""
        decision = decide_plan(self.ctx, plan)
        self.say(render_plan(plan, decision))
        answer = self.read_line("carry this out? type yes to proceed: ")
        if (answer or "").lower() != "yes":
            self.say("not carried out; nothing was written")
            return
        outcome = carry_out(self.ctx, plan, decision, self.verify_timeout, self.poll_interval)
        self.say(clean(f"{outcome.status}: {outcome.reason or 'done'} {' '.join(u for u in outcome.urls if u)}"))

    def ask(self, question: str) -> None:
        """The model answers with the tools; what it staged is offered as a plan."""
        diagnosis = diagnose(self.ctx)
        self.ctx.diagnosis, self.ctx.plan = diagnosis, PlanDraft()
        history, task = self.next_turn(diagnosis, question)
        result = ToolLoop(self.model, self.registry, self.ctx, limits=self.limits).run(task, history=history)
        self.history = result.messages
        for message in result.messages[len(history) + 1:]:
            if message["role"] == "assistant":
                for block in message["content"]:
                    if block.get("type") == "text" and block.get("text", "").strip():
                        self.say(clean(block["text"]))
        if result.status not in ("answered", "submitted"):
            self.say(f"(the model stopped: {result.status}: {result.reason})")
        plan = plan_from_draft(diagnosis, self.ctx, result.plan)
        if plan is not None:
            self.offer(plan)

    def next_turn(self, diagnosis: Diagnosis, question: str) -> tuple[list[dict[str, Any]], Any]:
        """(history, user content): the task with the first question; later questions join the last user turn."""
        asked = {"type": "text", "text": question}
        if not self.history:
            return [], [{"type": "text", "text": task_for(diagnosis, self.ctx)}, asked]
        last = self.history[-1]
        if last["role"] != "user":
            return self.history, [asked]
        blocks = last["content"] if isinstance(last["content"], list) else [{"type": "text", "text": last["content"]}]
        return self.history[:-1], [*blocks, asked]

