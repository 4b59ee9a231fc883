import pytest

from mma_conductor.engine.prompts import MAX_TICKETS, parse_plan, parse_verdict, plan_prompt
from mma_conductor.engine.tickets import CycleError, PlanError


def test_plan_from_plain_and_fenced_json():
 text = '[{"id": "a", "title": "A"}, {"id": "b", "title": "B", "depends_on": ["a"], "extra": 1}]'
 assert [t.id for t in parse_plan(text)] == ["a", "b"]
 fenced = "Here is the plan:\n```json\n" + text + "\n```\nGood luck."
 tickets = parse_plan(fenced)
 assert tickets[1].depends_on == ["a"] and tickets[1].status == "todo"


@pytest.mark.parametrize(
 ("text", "error", "fragment"),
 [
  ("no plan here", PlanError, "no JSON array"),
  ('[{"id": "a", "title": "A"},]', PlanError, "invalid JSON at line 1"),
  ('[{"id": "a"}]', PlanError, "plan[0].title"),
  (
   '[{"id": "a", "title": "A", "depends_on": ["b"]}, {"id": "b", "title": "B", "depends_on": ["a"]}]',
   CycleError,
   "cycle",
  ),
  ("[" + ",".join(f'{{"id": "t{i}", "title": "x"}}' for i in range(MAX_TICKETS + 1)) + "]", PlanError, "at most"),
  ('{"id": "a"}', PlanError, "no JSON array"),
 ],
)
def test_malformed_plans(text, error, fragment):
 with pytest.raises(error) as info:
  parse_plan(text)
 assert fragment in str(info.value)


@pytest.mark.parametrize(
 ("text", "approved", "reason"),
 [
  ("APPROVE", True, "approved"),
  ("Approved. Looks right.", True, "Looks right."),
  ("REJECT: missing tests\nmore", False, "missing tests"),
  ("**REJECTED** - wrong output", False, "wrong output"),
  ("I think it's fine", False, 'unclear verdict: "I think it\'s fine"'),
  ("", False, "empty review"),
 ],
)
def test_verdicts(text, approved, reason):
 assert parse_verdict(text) == (approved, reason)


def test_plan_prompt_mentions_previous_error():
 assert "could not be used: bad" in plan_prompt("goal", "bad")
