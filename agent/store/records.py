"""Diagnoses, plans, gate decisions, actions (intent → done/failed) and outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.models import Diagnosis, Plan
from agent.store.connection import Connection, clean_json, clean_text, iso, repo_key
from agent.store.schema import ACTION_STATUSES, OUTCOMES

ACTION_FIELDS = frozenset({"signature", "run_id", "plan_id", "ref", "detail", "created_at"})
ACTION_FILTERS = frozenset({"id", "kind", "repo", "status", "signature", "run_id", "plan_id", "ref"})
OUTCOME_FILTERS = frozenset(
    {"plan_id", "repo", "signature", "fix_key", "known_issue_id", "template", "outcome"}
)


def _where(filters: dict[str, Any], allowed: frozenset[str]) -> tuple[str, list[Any]]:
    """`WHERE a = ? AND b = ?` from equality filters (repository names case-insensitive), refusing unknown columns."""
    unknown = set(filters) - allowed
    if unknown:
        raise ValueError(f"unknown filters: {sorted(unknown)}")
    if not filters:
        return "", []
    terms = ["lower(repo) = ?" if key == "repo" else f"{key} = ?" for key in filters]
    values = [repo_key(value) if key == "repo" else value for key, value in filters.items()]
    return " WHERE " + " AND ".join(terms), values


class RecordStore(Connection):
    """What the pipeline decided and did, each string redacted on the way in."""

    def save_diagnosis(self, repo: str, run_id: int, run_attempt: int, diagnosis: Diagnosis | dict) -> None:
        """Store (or replace) the diagnosis of one run attempt."""
        model = diagnosis if isinstance(diagnosis, Diagnosis) else Diagnosis.model_validate(diagnosis)
        known = model.known_issue.id if model.known_issue else None
        with self.transaction() as db:
            db.conn.execute(
                "INSERT INTO diagnoses (repo, run_id, run_attempt, signature, category, known_issue_id, diagnosis, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, run_id, run_attempt) DO UPDATE SET "
                "signature = excluded.signature, category = excluded.category, "
                "known_issue_id = excluded.known_issue_id, diagnosis = excluded.diagnosis",
                (
                    clean_text(repo),
                    int(run_id),
                    int(run_attempt),
                    clean_text(model.signature),
                    str(model.category),
                    clean_text(known),
                    clean_json(model.model_dump(mode="json")),
                    iso(),
                ),
            )

    def get_diagnosis(self, repo: str, run_id: int, run_attempt: int = 1) -> Diagnosis | None:
        row = self.row(
            "SELECT diagnosis FROM diagnoses WHERE lower(repo) = ? AND run_id = ? AND run_attempt = ?",
            (repo_key(repo), int(run_id), int(run_attempt)),
        )
        return Diagnosis.model_validate(row["diagnosis"]) if row else None

    def save_plan(self, plan: Plan, fix_key: str | None = None) -> str:
        """Store (or replace) a plan; returns its fix key (agent.policy.fix_key unless given)."""
        if fix_key is None:
            from agent.policy.fixkey import fix_key as compute_fix_key

            fix_key = compute_fix_key(plan)
        template = plan.fix.template if plan.fix else None
        with self.transaction() as db:
            db.conn.execute(
                "INSERT OR REPLACE INTO plans (id, repo, run_id, run_attempt, signature, fix_key, action, "
                "known_issue_id, template, plan, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    clean_text(plan.id),
                    clean_text(plan.repo),
                    plan.run_id,
                    plan.run_attempt,
                    clean_text(plan.signature),
                    fix_key,
                    str(plan.action),
                    clean_text(plan.known_issue_id),
                    clean_text(template),
                    clean_json(plan.model_dump(mode="json")),
                    iso(),
                ),
            )
        return fix_key

    def get_plan(self, plan_id: str) -> Plan | None:
        row = self.row("SELECT plan FROM plans WHERE id = ?", (plan_id,))
        return Plan.model_validate(row["plan"]) if row else None

    def plan_row(self, plan_id: str) -> dict[str, Any] | None:
        """The plan's row: fix_key, action, signature… with `plan` decoded."""
        return self.row("SELECT * FROM plans WHERE id = ?", (plan_id,))

    def save_decision(self, plan_id: str, decision: Any, policy_version: str | None = None) -> int:
        """Record the gate's decision (a dict or an Allow/Deny/Downgrade) for a plan."""
        record = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision)
        version = policy_version if policy_version is not None else record.get("policy_version")
        with self.transaction() as db:
            return db.conn.execute(
                "INSERT INTO decisions (plan_id, decision, kind, rule, policy_version, at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    clean_text(plan_id),
                    clean_json(record),
                    clean_text(record.get("decision")),
                    clean_text(record.get("rule")),
                    clean_text(version),
                    iso(),
                ),
            ).lastrowid

    def decisions(self, plan_id: str) -> list[dict[str, Any]]:
        """A plan's decisions, oldest first: {id, plan_id, decision: dict, kind, rule, policy_version, at}."""
        return self.rows("SELECT * FROM decisions WHERE plan_id = ? ORDER BY id", (plan_id,))

    def record_action(self, kind: str, repo: str, status: str, **fields: Any) -> int:
        """Write an action row (write intent first, then update to done/failed); returns its id."""
        self._check_action(status, fields)
        now = iso()
        row = {
            "kind": clean_text(kind),
            "repo": clean_text(repo),
            "status": status,
            "updated_at": now,
            **{key: clean_text(value) for key, value in fields.items() if key != "detail"},
            "detail": clean_json(fields.get("detail")),
            "created_at": iso(fields.get("created_at") or now),
        }
        sql = f"INSERT INTO actions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        with self.transaction() as db:
            return db.conn.execute(sql, list(row.values())).lastrowid

    def update_action(self, id: int, **fields: Any) -> None:
        """Change status/ref/detail…; a dict `detail` is merged into the stored one."""
        self._check_action(fields.get("status", "done"), fields)
        with self.transaction():
            if isinstance(fields.get("detail"), dict):
                current = self.row("SELECT detail FROM actions WHERE id = ?", (int(id),))
                base = current["detail"] if current and isinstance(current["detail"], dict) else {}
                fields["detail"] = base | fields["detail"]
            values = {
                key: clean_json(value) if key == "detail" else clean_text(value)
                for key, value in fields.items()
            }
            values["updated_at"] = iso()
            assignments = ", ".join(f"{key} = ?" for key in values)
            self.db.conn.execute(
                f"UPDATE actions SET {assignments} WHERE id = ?", [*values.values(), int(id)]
            )

    def actions(self, since: datetime | str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Actions matching equality filters (kind, repo, status, signature, run_id, plan_id, ref), oldest first."""
        where, params = _where(filters, ACTION_FILTERS)
        if since is not None:
            where += (" AND" if where else " WHERE") + " created_at >= ?"
            params.append(iso(since))
        return self.rows(f"SELECT * FROM actions{where} ORDER BY id", params)

    @staticmethod
    def _check_action(status: str, fields: dict[str, Any]) -> None:
        if status not in ACTION_STATUSES:
            raise ValueError(f"action status must be one of {ACTION_STATUSES}, not {status!r}")
        unknown = set(fields) - ACTION_FIELDS - {"status", "kind", "repo"}
        if unknown:
            raise ValueError(f"unknown action fields: {sorted(unknown)}")

    def record_outcome(
        self, plan_id: str | None, outcome: str, at: datetime | str | None = None, **fields: Any
    ) -> int:
        """Record what became of a fix (ci_passed, ci_failed, merged, reverted, closed_unmerged).

        fix_key, known_issue_id, template, repo and signature default to the stored plan's.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        plan = self.plan_row(plan_id) if plan_id else None
        keys = ("repo", "signature", "fix_key", "known_issue_id", "template")
        unknown = set(fields) - set(keys)
        if unknown:
            raise ValueError(f"unknown outcome fields: {sorted(unknown)}")
        values = {key: fields.get(key) or (plan or {}).get(key) for key in keys}
        with self.transaction() as db:
            return db.conn.execute(
                "INSERT INTO outcomes (plan_id, repo, signature, fix_key, known_issue_id, template, outcome, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (clean_text(plan_id), *(clean_text(values[key]) for key in keys), outcome, iso(at)),
            ).lastrowid

    def outcomes(self, **filters: Any) -> list[dict[str, Any]]:
        """Outcomes matching equality filters (plan_id, repo, signature, fix_key, known_issue_id, template…)."""
        where, params = _where(filters, OUTCOME_FILTERS)
        return self.rows(f"SELECT * FROM outcomes{where} ORDER BY id", params)

    def closed_fix_keys(self, repo: str) -> set[str]:
        """Fix keys a human rejected (PR closed unmerged, or merged then reverted): never re-propose (#34)."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT fix_key FROM outcomes WHERE lower(repo) = ? AND fix_key IS NOT NULL "
            "AND outcome IN ('closed_unmerged', 'reverted')",
            (repo_key(repo),),
        ).fetchall()
        return {row[0] for row in rows}
