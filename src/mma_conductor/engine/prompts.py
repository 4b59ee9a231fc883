"""What each tier is asked, and how its answers are read (plans and QA verdicts)."""

from __future__ import annotations

import json
import re

from .tickets import PlanError, Ticket, validate_plan

MAX_TICKETS = 50

ORCHESTRATOR_SYSTEM = f"""You are Tier 1, the orchestrator of a software team.
Split the user's goal into small tickets that workers can carry out independently.
Answer with ONLY a JSON array, no prose and no code fences. Each element is an object:
{{"id": "t1", "title": "...", "description": "...", "depends_on": ["ids of tickets that must be done first"]}}
Ids are short (letters, digits, '-', '_'). Dependencies must not form a cycle. At most {MAX_TICKETS} tickets."""

TECH_LEAD_SYSTEM = """You are Tier 2, the tech lead. Write a precise brief for one ticket: what to produce,
constraints, and how the result will be checked. Plain text, at most 200 words."""

WORKER_SYSTEM = """You are Tier 3, a worker. Carry out the ticket described in the brief and answer with the
result itself (text or code in the answer; you cannot write files or run commands)."""

QA_SYSTEM = """You are Tier 4, QA. Review the worker's output against the ticket and its brief.
Answer on the first line with exactly APPROVE or REJECT: <one-line reason>. Details may follow."""


def plan_prompt(goal: str, previous_error: str = "") -> str:
 """The user prompt asking Tier 1 for a plan; after a malformed plan it says what was wrong."""
 prompt = f"Goal:\n{goal.strip()}\n"
 if previous_error:
  prompt += f"\nYour previous plan could not be used: {previous_error}\nAnswer again with a valid JSON array.\n"
 return prompt


def brief_prompt(goal: str, ticket: Ticket, done: list[Ticket]) -> str:
 """The user prompt asking Tier 2 for a ticket's brief."""
 context = "".join(f"- {t.id}: {t.title}\n" for t in done) or "- nothing yet\n"
 return f"Track goal: {goal}\n\nTicket {ticket.id}: {ticket.title}\n{ticket.description}\n\nAlready done:\n{context}"


def work_prompt(ticket: Ticket, rejection: str = "") -> str:
 """The user prompt asking Tier 3 to do the ticket (with QA's last objection on a retry)."""
 prompt = f"Ticket {ticket.id}: {ticket.title}\n\nBrief:\n{ticket.brief or ticket.description}\n"
 if rejection:
  prompt += f"\nA previous attempt was rejected by QA: {rejection}\nFix that.\n"
 return prompt


def review_prompt(ticket: Ticket, output: str) -> str:
 """The user prompt asking Tier 4 to review an output."""
 return f"Ticket {ticket.id}: {ticket.title}\n\nBrief:\n{ticket.brief}\n\nWorker output:\n{output}\n"


def parse_plan(text: str) -> list[Ticket]:
 """Tickets from Tier 1's answer (a JSON array, possibly inside code fences); PlanError says what is wrong."""
 raw = _plan_array(_unfenced(text.strip()))
 if len(raw) > MAX_TICKETS:
  raise PlanError(f"the plan has {len(raw)} tickets; at most {MAX_TICKETS} are allowed")
 tickets = [Ticket.from_dict(_plan_fields(item), f"plan[{index}]") for index, item in enumerate(raw)]
 return validate_plan(tickets)


def _unfenced(body: str) -> str:
 fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
 return fenced.group(1).strip() if fenced else body


def _plan_array(body: str) -> list:
 start, end = body.find("["), body.rfind("]")
 if start < 0 or end < start:
  raise PlanError("no JSON array in the answer")
 try:
  raw = json.loads(body[start : end + 1])
 except json.JSONDecodeError as exc:
  raise PlanError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
 if not isinstance(raw, list):
  raise PlanError("the plan must be a JSON array of tickets")
 return raw


def _plan_fields(item: object) -> object:
 # A plan may only say what the work is; status, cost and the like come from running it.
 if isinstance(item, dict):
  return {k: v for k, v in item.items() if k in ("id", "title", "description", "depends_on")}
 return item


def parse_verdict(text: str) -> tuple[bool, str]:
 """(approved, reason) from QA's answer; anything but a clear APPROVE counts as a rejection."""
 first = text.strip().splitlines()[0].strip() if text.strip() else ""
 word = re.match(r"^\W*(APPROVED?|REJECT(?:ED)?)\b\W*(.*)$", first, re.IGNORECASE)
 if word is None:
  return False, f"unclear verdict: {first[:120]!r}" if first else "empty review"
 approved = word.group(1).upper().startswith("APPROVE")
 reason = word.group(2).strip() or ("approved" if approved else "no reason given")
 return approved, reason
