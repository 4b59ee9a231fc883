"""A separate process that writes calls to a ledger, for the two-writer and kill -9 tests.

    python ledger_worker.py LEDGER PREFIX UNIQUE EMPTY SHARED BATCH CENTS

Writes UNIQUE calls with ids PREFIX-i, EMPTY calls without a request id and SHARED calls with ids shared-i
(the same in every worker), interleaved, in batches of BATCH, each costing CENTS cents; after each committed
batch prints "committed N" (calls handed to the ledger so far) and flushes. UNIQUE 0 means: forever.
"""

import itertools
import sys
from pathlib import Path

from mma_conductor.ledger.store import Ledger, LedgerCall
from mma_conductor.pricing.usage import Usage

MONDAY = 1_767_571_200


def calls(prefix: str, unique: int, empty: int, shared: int, cents: int):
 kinds = ["u"] * unique + ["e"] * empty + ["s"] * shared
 kinds.sort(key=lambda k: hash((k, prefix)) % 7)  # interleave, differently in each worker
 counters = {"u": 0, "e": 0, "s": 0}
 source = kinds if unique else itertools.repeat("u")
 for kind in source:
  index = counters[kind]
  counters[kind] += 1
  request_id = {"u": f"{prefix}-{index}", "e": "", "s": f"shared-{index}"}[kind]
  # A fixed time per call: the same call delivered by two workers carries the same timestamp.
  yield LedgerCall(
   MONDAY + index / 1000,
   f"session-{prefix}",
   f"run-{prefix}",
   "T1",
   "Tier 3",
   "worker",
   "openai",
   "gpt-4o",
   Usage(1000, 100),
   cents * 10**13,
   request_id=request_id,
   latency_s=0.5,
  )


def main() -> None:
 path, prefix, unique, empty, shared, batch, cents = sys.argv[1:8]
 source = calls(prefix, int(unique), int(empty), int(shared), int(cents))
 done = 0
 with Ledger.open(Path(path)) as ledger:
  while True:
   chunk = list(itertools.islice(source, int(batch)))
   if not chunk:
    break
   ledger.record_calls(chunk)
   done += len(chunk)
   print(f"committed {done}", flush=True)


if __name__ == "__main__":
 main()
