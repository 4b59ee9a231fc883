"""Deterministic stand-in answers for the simulated provider: prose, a JSON ticket plan, or a QA verdict.

What kind of answer a call gets is read from its prompts (see `response_kind`):

- plan: the system prompt or prompt contains JSON_PLAN_MARKER, or the system prompt mentions JSON and
  `depends_on` (as the conductor's Tier 1 prompt does). The answer is only a JSON array of tickets
  {"id": "T1", "title", "description", "depends_on": [ids of earlier tickets]}, so it is always acyclic:
  as many as the prompt asks for ("... in 20 tickets", 1 to 50), else 3 to 5. Titles are plausible tasks,
  "Write the input parsing for the word counter CLI": a verb and a part from a small table, about the goal's
  subject (its first noun phrase), in design, build, test, document order.
- verdict: the system prompt contains both APPROVE and REJECT (as the Tier 4 QA prompt does). The first
  line is "APPROVE" or "REJECT: <reason>", rejecting with the client's `reject_rate` probability.
- prose: anything else; a few paragraphs about the prompt's distinctive words.
"""

from __future__ import annotations

import json
import math
import random
import re
from itertools import dropwhile, takewhile

JSON_PLAN_MARKER = "RESPONSE_FORMAT: json_plan"

_STOP = frozenset(
 (
  *("about", "above", "after", "again", "against", "because", "before", "being", "below", "between"),
  *("could", "doing", "during", "further", "having", "other", "should", "their", "there", "these"),
  *("those", "through", "under", "until", "which", "while", "would", "write", "please"),
 )
)
_FALLBACK_TOPICS = ("interface", "parser", "storage", "renderer", "scheduler", "validator", "exporter")
_SENTENCES = (
 "The {a} needs a clear boundary before the {b} can depend on it.",
 "I would start with the {a}, since the {b} only reads what it produces.",
 "Keeping the {a} small makes the {b} easier to test in isolation.",
 "A failing case for the {a} should come first, then the change to the {b}.",
 "The {b} can reuse the existing {a} instead of growing a second copy.",
 "Edge cases in the {a} are worth listing: empty input, duplicates and very large values.",
 "Once the {a} is in place, the {b} becomes a thin adapter around it.",
 "Measure the {a} before optimizing it; the {b} is rarely the bottleneck.",
)
_REJECTIONS = (
 "the {a} ignores the empty case",
 "the {a} does not match the brief for the {b}",
 "no test covers the {a}",
)
# Plan titles: (stage, template, part), with {s} the goal's subject and {p} a part of it. The stages order a
# plan: design, build, test, document. Each part is built once (with the verb that suits it) and tested once,
# so the table holds 3 + 2 * 22 + 3 = 50 distinct tasks: as many as a plan may ask for.
_PARTS = (
 ("input parsing", "Write the {p} for the {s}"),
 ("core logic", "Build the {p} of the {s}"),
 ("output format", "Design the {p} of the {s}"),
 ("configuration", "Add {p} to the {s}"),
 ("error handling", "Add {p} to the {s}"),
 ("command-line options", "Add {p} to the {s}"),
 ("file handling", "Write the {p} for the {s}"),
 ("input validation", "Add {p} to the {s}"),
 ("edge cases", "Handle the {p} of the {s}"),
 ("main interface", "Build the {p} of the {s}"),
 ("logging", "Add {p} to the {s}"),
 ("data storage", "Build the {p} for the {s}"),
 ("caching", "Add {p} to the {s}"),
 ("progress display", "Add a {p} to the {s}"),
 ("help text", "Write the {p} for the {s}"),
 ("exit codes", "Define the {p} of the {s}"),
 ("unicode handling", "Add {p} to the {s}"),
 ("large inputs", "Support {p} in the {s}"),
 ("empty input", "Handle {p} in the {s}"),
 ("settings file", "Read a {p} in the {s}"),
 ("packaging", "Set up {p} for the {s}"),
 ("performance", "Improve the {p} of the {s}"),
)
_DESIGN_TITLES = ("Outline the {s} design", "Design the {s} data model", "Plan the {s} structure")
_FINISH_TITLES = ("Document how to use the {s}", "Write usage examples for the {s}", "Review the {s} as a whole")
_TITLE_TABLE = (
 *((0, title, "") for title in _DESIGN_TITLES),
 *((1, title, part) for part, title in _PARTS),
 *((2, "Test the {p} of the {s}", part) for part, _ in _PARTS),
 *((3, title, "") for title in _FINISH_TITLES),
)
# Words that start a goal without naming its subject ("Please build a ..."), and words that end the subject.
_ARTICLES = frozenset(("a", "an", "the", "my", "our", "some", "new", "simple", "small"))
_GOAL_LEAD = frozenset(
 (
  *("please", "let", "us", "i", "we", "want", "need", "to", "add", "build", "create", "make"),
  *("implement", "write", "design", "develop", "set", "up", "support", "ship", "improve", "refactor", "fix"),
  *("update", "port"),
  *_ARTICLES,
 )
)
_SUBJECT_END = frozenset(
 (
  "to",
  "for",
  "with",
  "in",
  "on",
  "into",
  "from",
  "that",
  "which",
  "so",
  "and",
  "or",
  "of",
  "by",
  "using",
  "via",
  "at",
  "as",
 )
)


def count_tokens(text: str, chars_per_token: int = 4) -> int:
 """Approximate token count: one token per `chars_per_token` characters, rounded up."""
 return math.ceil(len(text) / chars_per_token) if text else 0


def is_plan_request(system: str, prompt: str) -> bool:
 """Whether the call asks for a JSON ticket plan (see the module docstring)."""
 if JSON_PLAN_MARKER in system or JSON_PLAN_MARKER in prompt:
  return True
 return "json" in system.lower() and "depends_on" in system


def response_kind(system: str, prompt: str) -> str:
 """ "plan", "verdict" or "prose" (see the module docstring)."""
 if is_plan_request(system, prompt):
  return "plan"
 if "APPROVE" in system and "REJECT" in system:
  return "verdict"
 return "prose"


def topics(prompt: str) -> list[str]:
 """Distinctive words of the prompt, in order of appearance, to make answers sound on-topic."""
 seen: list[str] = []
 for word in re.findall(r"[A-Za-z][A-Za-z_-]{4,}", prompt):
  lower = word.lower()
  if lower not in _STOP and lower not in seen:
   seen.append(lower)
 return seen or list(_FALLBACK_TOPICS)


def prose(rng: random.Random, prompt: str) -> str:
 """A few paragraphs of plausible engineering prose about the prompt's topics."""
 words = topics(prompt)
 paragraphs = []
 for _ in range(rng.randint(1, 3)):
  sentences = [
   rng.choice(_SENTENCES).format(a=rng.choice(words), b=rng.choice(words)) for _ in range(rng.randint(2, 5))
  ]
  paragraphs.append(" ".join(sentences))
 return "\n\n".join(paragraphs)


def verdict(rng: random.Random, prompt: str, reject_rate: float) -> str:
 """A QA verdict: "APPROVE" or "REJECT: <reason>" on the first line, a short justification after it."""
 words = topics(prompt)
 a, b = rng.choice(words), rng.choice(words)
 rejected = rng.random() < reject_rate
 head = "REJECT: " + rng.choice(_REJECTIONS).format(a=a, b=b) if rejected else "APPROVE"
 return f"{head}\n{rng.choice(_SENTENCES).format(a=a, b=b)}"


def plan(rng: random.Random, prompt: str) -> str:
 """A JSON list of tickets whose depends_on only name earlier tickets, so it is always acyclic.

 "N tickets" in the prompt asks for N (1 to 50); otherwise 3 to 5. About half the tickets after the first
 depend on one or two earlier ones, so larger plans have work to run in parallel.
 """
 asked = re.search(r"\b(\d{1,2})\s+tickets\b", prompt)
 count = min(50, max(1, int(asked.group(1)))) if asked else rng.randint(3, 5)
 subject = goal_subject(prompt)
 tasks = sorted(rng.sample(_TITLE_TABLE, count), key=lambda task: task[0])
 tickets = []
 for index, (_, title, part) in enumerate(tasks):
  earlier = [t["id"] for t in tickets]
  depends = []
  if earlier and (index == 1 or rng.random() < 0.5):
   depends = sorted(rng.sample(earlier, rng.randint(1, min(2, len(earlier)))), key=earlier.index)
  tickets.append(
   {
    "id": f"T{index + 1}",
    "title": title.format(s=subject, p=part),
    "description": rng.choice(_SENTENCES).format(a=part or "design", b=subject),
    "depends_on": depends,
   }
  )
 return json.dumps(tickets, indent=2)


def goal_subject(prompt: str) -> str:
 """What the goal is about, for plan titles: its first noun phrase ("Build a word counter CLI for logs" gives
 "word counter CLI"), acronyms kept, other words in lower case; "project" when there is none."""
 goal = re.search(r"Goal:\s*(\S.*)", prompt)
 line = goal.group(1) if goal else prompt.strip().partition("\n")[0]
 words = dropwhile(lambda word: word.lower() in _GOAL_LEAD, re.findall(r"[A-Za-z][A-Za-z0-9+#-]*", line))
 phrase = [_cased(word) for word in takewhile(lambda word: word.lower() not in _SUBJECT_END, words)]
 return " ".join([word for word in phrase if word not in _ARTICLES][:4]) or "project"


def _cased(word: str) -> str:
 return word if len(word) > 1 and word.isupper() else word.lower()
