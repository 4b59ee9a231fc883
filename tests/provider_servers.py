"""A loopback HTTP server that answers like the Anthropic, OpenAI, DeepSeek and Gemini APIs.

Tests script it: `server.enqueue(reply, ...)` queues what the next requests get (JSON with any status and
headers, SSE streams, streams that break off mid-way, slow answers), and `server.requests` records what the
SDKs sent (method, path, headers, JSON body). A request with nothing queued is answered 418 and recorded in
`server.unscripted`. The builders below produce each provider's real wire format.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Replies ----------------------------------------------------------------------------------------------------


@dataclass
class Reply:
 """One scripted answer. `frames` makes it an SSE stream (sent chunked, one frame per chunk); with
 `break_after` the connection is cut after that many frames, without the terminating chunk; with `hold_after`
 the stream stalls after that many frames (the provider still answering) until the server stops."""

 status: int = 200
 body: Any = None
 headers: dict[str, str] = field(default_factory=dict)
 frames: list[str] | None = None
 break_after: int | None = None
 hold_after: int | None = None
 delay_s: float = 0.0


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None, delay_s: float = 0.0) -> Reply:
 """A JSON response."""
 return Reply(status=status, body=body, headers=dict(headers or {}), delay_s=delay_s)


def sse_reply(
 frames: list[str], headers: dict[str, str] | None = None, break_after: int | None = None, hold_after: int | None = None
) -> Reply:
 """A text/event-stream response of `frames` (see `sse`)."""
 return Reply(frames=list(frames), headers=dict(headers or {}), break_after=break_after, hold_after=hold_after)


def sse(data: Any, event: str | None = None) -> str:
 """One server-sent event; `data` is JSON-encoded unless it is already a string."""
 payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
 return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


# Anthropic Messages -----------------------------------------------------------------------------------------


def anthropic_message(
 text: str,
 *,
 model: str,
 usage: dict[str, Any],
 message_id: str = "msg_01TestMessage",
 stop_reason: str = "end_turn",
 thinking: str | None = None,
) -> dict[str, Any]:
 """A Messages API response body."""
 content: list[dict[str, Any]] = []
 if thinking is not None:
  content.append({"type": "thinking", "thinking": thinking, "signature": "sig-test"})
 content.append({"type": "text", "text": text})
 return {
  "id": message_id,
  "type": "message",
  "role": "assistant",
  "model": model,
  "content": content,
  "stop_reason": stop_reason,
  "stop_sequence": None,
  "usage": usage,
 }


def anthropic_stream_frames(
 chunks: list[str],
 *,
 model: str,
 start_usage: dict[str, Any],
 final_usage: dict[str, Any],
 message_id: str = "msg_01TestStream",
 thinking_chunks: list[str] | None = None,
 stop_reason: str = "end_turn",
) -> list[str]:
 """message_start, content blocks (an optional thinking block, then text), message_delta with the
 cumulative usage, message_stop: the frames of a streamed Messages API response."""
 message = anthropic_message("", model=model, usage=start_usage, message_id=message_id)
 message.update(content=[], stop_reason=None)
 frames = [sse({"type": "message_start", "message": message}, "message_start")]
 index = 0
 if thinking_chunks:
  frames.append(
   sse(
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    "content_block_start",
   )
  )
  for piece in thinking_chunks:
   frames.append(
    sse(
     {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": piece}},
     "content_block_delta",
    )
   )
  frames.append(sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
  index = 1
 frames.append(
  sse(
   {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
   "content_block_start",
  )
 )
 frames.append(sse({"type": "ping"}, "ping"))
 for piece in chunks:
  frames.append(
   sse(
    {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
    "content_block_delta",
   )
  )
 frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
 frames.append(
  sse(
   {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}, "usage": final_usage},
   "message_delta",
  )
 )
 frames.append(sse({"type": "message_stop"}, "message_stop"))
 return frames


def anthropic_error(error_type: str, message: str) -> dict[str, Any]:
 """A Messages API error body."""
 return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_err_test"}


# OpenAI Chat Completions (and DeepSeek) ---------------------------------------------------------------------


def openai_completion(
 text: str,
 *,
 model: str,
 usage: dict[str, Any],
 completion_id: str = "chatcmpl-test",
 finish_reason: str = "stop",
 reasoning_content: str | None = None,
) -> dict[str, Any]:
 """A Chat Completions response body (DeepSeek adds `reasoning_content` to the message)."""
 message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
 if reasoning_content is not None:
  message["reasoning_content"] = reasoning_content
 return {
  "id": completion_id,
  "object": "chat.completion",
  "created": 1_760_000_000,
  "model": model,
  "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
  "usage": usage,
  "service_tier": "default",
  "system_fingerprint": "fp_test",
 }


def openai_stream_frames(
 chunks: list[str],
 *,
 model: str,
 usage: dict[str, Any] | None,
 completion_id: str = "chatcmpl-test-stream",
 finish_reason: str = "stop",
) -> list[str]:
 """Chunks with content deltas, a finish_reason chunk, the include_usage chunk (empty choices), [DONE]."""

 def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
  return {
   "id": completion_id,
   "object": "chat.completion.chunk",
   "created": 1_760_000_000,
   "model": model,
   "system_fingerprint": "fp_test",
   "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
   "usage": None,
  }

 frames = [sse(chunk({"role": "assistant", "content": "", "refusal": None}, None))]
 frames += [sse(chunk({"content": piece}, None)) for piece in chunks]
 frames.append(sse(chunk({}, finish_reason)))
 if usage is not None:
  final = chunk({}, None)
  final.update(choices=[], usage=usage)
  frames.append(sse(final))
 frames.append(sse("[DONE]"))
 return frames


def openai_error(message: str, error_type: str, code: str | None = None) -> dict[str, Any]:
 """A Chat Completions error body."""
 return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


# Gemini generateContent -------------------------------------------------------------------------------------


def gemini_response(
 text: str | None,
 *,
 model_version: str,
 usage: dict[str, Any] | None,
 response_id: str = "resp-test-gemini",
 finish_reason: str | None = "STOP",
 thought: str | None = None,
) -> dict[str, Any]:
 """A generateContent response body (also one chunk of streamGenerateContent)."""
 parts: list[dict[str, Any]] = []
 if thought is not None:
  parts.append({"text": thought, "thought": True})
 if text is not None:
  parts.append({"text": text})
 candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
 if finish_reason is not None:
  candidate["finishReason"] = finish_reason
 body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model_version, "responseId": response_id}
 if usage is not None:
  body["usageMetadata"] = usage
 return body


def gemini_stream_frames(
 chunks: list[str], *, model_version: str, usages: list[dict[str, Any]], response_id: str = "resp-test-stream"
) -> list[str]:
 """One `data:` frame per chunk, each with the cumulative usageMetadata; the last has finishReason STOP."""
 frames = []
 for index, (piece, usage) in enumerate(zip(chunks, usages, strict=True)):
  last = index == len(chunks) - 1
  body = gemini_response(
   piece, model_version=model_version, usage=usage, response_id=response_id, finish_reason="STOP" if last else None
  )
  frames.append(sse(body))
 return frames


def gemini_error(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
 """A Google API error body."""
 return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


# The server ----------------------------------------------------------------------------------------------


@dataclass
class Received:
 """A request as the server got it."""

 method: str
 path: str
 headers: dict[str, str]
 body: Any
 raw: bytes


class ProviderServer:
 """ThreadingHTTPServer on 127.0.0.1, an ephemeral port, answering from a queue of scripted replies."""

 def __init__(self) -> None:
  self.requests: list[Received] = []
  self.unscripted: list[Received] = []
  # Answers by request when set (for runs whose requests arrive in no fixed order, e.g. parallel workers);
  # the queue is used when it returns None.
  self.responder: Callable[[Received], Reply | None] | None = None
  self._queue: deque[Reply] = deque()
  self._lock = threading.Lock()
  self._stopping = threading.Event()
  self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
  self._httpd.daemon_threads = True
  self._thread = threading.Thread(
   target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="provider-server", daemon=True
  )

 @property
 def base_url(self) -> str:
  """http://127.0.0.1:<port>"""
  host, port = self._httpd.server_address[:2]
  return f"http://{host}:{port}"

 def start(self) -> ProviderServer:
  """Serve in a background thread."""
  self._thread.start()
  return self

 def stop(self) -> None:
  """Stop serving, cutting short any reply that is still waiting out its delay."""
  self._stopping.set()
  self._httpd.shutdown()
  self._httpd.server_close()
  self._thread.join(timeout=5)

 def enqueue(self, *replies: Reply) -> None:
  """Queue replies for the next requests, in order."""
  with self._lock:
   self._queue.extend(replies)

 @property
 def pending(self) -> int:
  """Replies not yet used."""
  with self._lock:
   return len(self._queue)

 def _take(self, received: Received) -> Reply | None:
  with self._lock:
   self.requests.append(received)
   answer = self.responder(received) if self.responder is not None else None
   if answer is not None:
    return answer
   if self._queue:
    return self._queue.popleft()
   self.unscripted.append(received)
   return None


def _handler_for(server: ProviderServer) -> type[BaseHTTPRequestHandler]:
 return type("Handler", (_Handler,), {"provider_server": server})


class _Handler(BaseHTTPRequestHandler):
 """Answers every request from `provider_server`'s queue."""

 protocol_version = "HTTP/1.1"
 provider_server: ProviderServer

 def log_message(self, format: str, *args: Any) -> None:
  pass

 def do_GET(self) -> None:
  self._serve()

 def do_POST(self) -> None:
  self._serve()

 def finish(self) -> None:
  with contextlib.suppress(OSError):
   super().finish()

 def _serve(self) -> None:
  reply = self.provider_server._take(self._received())
  if reply is None:
   reply = json_reply({"error": {"message": f"no scripted reply for {self.command} {self.path}"}}, 418)
  if reply.delay_s and self.provider_server._stopping.wait(reply.delay_s):
   return
  send = self._send_json if reply.frames is None else self._send_stream
  try:
   send(reply)
  except OSError:
   self.close_connection = True  # the client gave up (e.g. its timeout fired)

 def _received(self) -> Received:
  length = int(self.headers.get("Content-Length") or 0)
  raw = self.rfile.read(length) if length else b""
  try:
   body = json.loads(raw) if raw else None
  except ValueError:
   body = None
  return Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)

 def _send_head(self, reply: Reply, headers: dict[str, str]) -> None:
  self.send_response(reply.status)
  for name, value in (*headers.items(), *reply.headers.items()):
   self.send_header(name, value)
  self.end_headers()

 def _send_json(self, reply: Reply) -> None:
  data = b"" if reply.body is None else json.dumps(reply.body).encode()
  self._send_head(reply, {"Content-Type": "application/json", "Content-Length": str(len(data))})
  self.wfile.write(data)
  self.wfile.flush()

 def _send_stream(self, reply: Reply) -> None:
  self._send_head(
   reply, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Transfer-Encoding": "chunked"}
  )
  for index, frame in enumerate(reply.frames or []):
   if reply.hold_after is not None and index >= reply.hold_after:
    self.provider_server._stopping.wait(60)  # still answering, as far as the client can tell
   if (reply.break_after is not None and index >= reply.break_after) or self.provider_server._stopping.is_set():
    self._cut()
    return
   data = frame.encode()
   self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
   self.wfile.flush()
  self.wfile.write(b"0\r\n\r\n")
  self.wfile.flush()

 def _cut(self) -> None:
  self.close_connection = True
  self.wfile.flush()
  with contextlib.suppress(OSError):
   self.connection.shutdown(socket.SHUT_RDWR)
