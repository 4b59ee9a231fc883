"""Text that reaches a terminal or a file from the ledger: stored values shown safely, JSON kept to one line, and
the error of an export or import. Light on purpose: every `costs` report imports it."""

from __future__ import annotations

import json
import re
from typing import Any

# What a terminal would act on rather than show: C0 and C1 controls, DEL, the line and paragraph separators
# (line breaks to JavaScript and to str.splitlines) and the bidirectional overrides that reorder what is shown.
_DIRECTIVES = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE_CHARS = re.compile(f"[\x00-\x1f{_DIRECTIVES}]")
_JSON_UNSAFE = re.compile(f"[{_DIRECTIVES}]")  # json.dumps escapes the C0 controls itself


def visible(text: str) -> str:
 """`text` with every character of UNSAFE_CHARS shown as its escape (`\\x1b`, `\\r`, `\\u202e`), for a terminal."""
 return UNSAFE_CHARS.sub(_escape, text)


def _escape(match: re.Match) -> str:
 char = match.group()
 return repr(char)[1:-1] if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def json_text(value: Any, **options: Any) -> str:
 """json.dumps(value, ensure_ascii=False) with DEL, C1 controls, U+2028/U+2029 and bidi overrides escaped too,
 so the text is one line per object for every reader and safe on a terminal; it parses to the same value."""
 text = json.dumps(value, ensure_ascii=False, **options)
 return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
