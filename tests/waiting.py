"""Waiting in tests for what another thread does, without timed assertions: poll, applying the controller's
queued events as the GUI thread would, until the condition holds or a generous limit passes."""

import time


def wait_for(controller, predicate, timeout: float = 20.0) -> bool:
 """Drain `controller`'s pending events until `predicate()` is true; False if `timeout` seconds pass first."""
 deadline = time.monotonic() + timeout
 while time.monotonic() < deadline:
  controller.drain_pending()
  if predicate():
   return True
  time.sleep(0.005)
 return False
