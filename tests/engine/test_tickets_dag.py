import itertools

import pytest

from mma_conductor.engine.tickets import (
 CycleError,
 PlanError,
 Ticket,
 Track,
 find_cycle,
 ready_tickets,
 stuck_tickets,
 validate_plan,
)


def t(ticket_id, *deps, status="todo"):
 return Ticket(ticket_id, f"title {ticket_id}", depends_on=list(deps), status=status)


def test_cycle_is_named_in_order():
 with pytest.raises(CycleError) as info:
  validate_plan([t("a", "c"), t("b", "a"), t("c", "b"), t("d")])
 cycle = info.value.cycle
 assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"} and len(cycle) == 4
 assert "dependency cycle: " in str(info.value)
 # each arrow is a real dependency edge, read as "depends on"
 deps = {"a": "c", "b": "a", "c": "b"}
 for here, there in itertools.pairwise(cycle):
  assert deps[here] == there


def test_self_dependency_unknown_dependency_and_duplicates():
 with pytest.raises(CycleError, match="a -> a"):
  validate_plan([t("a", "a")])
 with pytest.raises(PlanError, match="unknown ticket 'zz'"):
  validate_plan([t("a", "zz")])
 with pytest.raises(PlanError, match="duplicate ticket id 'a'"):
  validate_plan([t("a"), t("a")])
 with pytest.raises(PlanError, match="no tickets"):
  validate_plan([])


def test_deep_chain_has_no_recursion_limit():
 chain = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
 chain["n5000"] = []
 assert find_cycle(chain) is None
 chain["n5000"] = ["n0"]
 assert len(find_cycle(chain)) == 5002


def test_ready_set_follows_dependencies():
 tickets = [t("a"), t("b", "a"), t("c", "a"), t("d", "b", "c"), t("e")]
 assert [x.id for x in ready_tickets(tickets)] == ["a", "e"]
 tickets[0].status = "done"
 assert [x.id for x in ready_tickets(tickets)] == ["b", "c", "e"]
 tickets[1].status = "done"
 assert "d" not in [x.id for x in ready_tickets(tickets)]
 tickets[2].status = "in_progress"
 assert [x.id for x in ready_tickets(tickets)] == ["e"]


def test_stuck_tickets_propagate_through_blocked_dependencies():
 tickets = [t("a", status="blocked"), t("b", "a"), t("c", "b"), t("d")]
 assert [x.id for x in stuck_tickets(tickets)] == ["b", "c"]


def test_ticket_round_trip_and_field_errors():
 ticket = Ticket("t-1", "Write it", "desc", ["t-0"], status="review", models=["m"], attempts=2, cost_units=10**20)
 assert Ticket.from_dict(ticket.to_dict(), "x") == ticket
 with pytest.raises(PlanError, match=r"plan\[0\]\.id"):
  Ticket.from_dict({"id": "has space", "title": "x"}, "plan[0]")
 with pytest.raises(PlanError, match=r"plan\[1\]\.title"):
  Ticket.from_dict({"id": "a", "title": ""}, "plan[1]")
 with pytest.raises(PlanError, match=r"\.status"):
  Ticket.from_dict({"id": "a", "title": "x", "status": "finished"}, "plan[2]")
 with pytest.raises(PlanError, match=r"\.depends_on"):
  Ticket.from_dict({"id": "a", "title": "x", "depends_on": "b"}, "plan[3]")


def test_track_counts_and_finished():
 track = Track("goal", tickets=[t("a", status="done"), t("b", status="blocked")])
 assert track.counts()["done"] == 1 and track.counts()["blocked"] == 1
 assert track.finished
 assert not Track("goal").finished
 with pytest.raises(KeyError):
  track.ticket("zz")
