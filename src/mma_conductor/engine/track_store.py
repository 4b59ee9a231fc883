"""Tracks persisted as TOML under `<project>/.mma/tracks/`, so that a run can be resumed after the app closes."""

from __future__ import annotations

import re
from pathlib import Path

import tomli_w

from ..files import atomic_writer, read_toml
from .tickets import PlanError, Ticket, Track, is_valid_id, validate_plan

TRACKS_DIR = Path(".mma") / "tracks"
_TICKET_HEADER = re.compile(r"^\s*\[\[\s*tickets\s*\]\]\s*$")


class TrackFileError(ValueError):
 """A track file that cannot be read or written; the message names the file (and line when known)."""


def tracks_dir(project_dir: Path | str) -> Path:
 """Where a project's tracks live."""
 return Path(project_dir) / TRACKS_DIR


def check_track_id(track_id: str) -> str:
 """`track_id` when it is a valid id; TrackFileError otherwise, so that no id ever names a file outside the
 tracks folder (`../x`, an absolute path, separators, NUL, empty)."""
 if not is_valid_id(track_id):
  raise TrackFileError(
   f"track id {track_id!r}: not a track id; use 1-64 letters, digits, '_', '.' or '-', starting with a letter"
   " or digit (like 20260105-093000-1a2b3c)"
  )
 return track_id


def track_path(project_dir: Path | str, track_id: str) -> Path:
 """The file of one track (TrackFileError for an id that is not a plain name: see check_track_id)."""
 return tracks_dir(project_dir) / f"{check_track_id(track_id)}.toml"


def save_track(project_dir: Path | str, track: Track, *, check_existing: bool = True) -> Path:
 """Write the track atomically (temp file + rename). Refuses to replace a file that is not a readable track
 (`check_existing=False` skips that check for a file this process wrote itself)."""
 path = track_path(project_dir, track.id)
 if check_existing and path.exists():
  load_track_file(path)
 path.parent.mkdir(parents=True, exist_ok=True)
 data = {
  "track": {
   "id": track.id,
   "goal": track.goal,
   "status": track.status,
   "created_at": track.created_at,
   "error": track.error,
  },
  "tickets": [t.to_dict() for t in track.tickets],
 }
 with atomic_writer(path) as handle:
  handle.write(tomli_w.dumps(data).encode("utf-8"))
 return path


def load_track_file(path: Path) -> Track:
 """Read one track file; TrackFileError names the file and line of what is wrong."""
 data = read_toml(path, TrackFileError, what="track file")
 if data is None:
  raise TrackFileError(f"{path}: cannot read track file: no such file")
 head = _track_head(data, path)
 created = head.get("created_at", 0.0)
 return Track(
  goal=head["goal"],
  id=head["id"],
  tickets=_tickets(data, path),
  status=str(head.get("status", "new")),
  created_at=float(created) if isinstance(created, int | float) else 0.0,
  error=str(head.get("error", "")),
 )


def _track_head(data: dict, path: Path) -> dict:
 head = data.get("track")
 if not isinstance(head, dict):
  raise TrackFileError(f"{path}: missing [track] table")
 if not isinstance(head.get("goal"), str) or not isinstance(head.get("id"), str):
  raise TrackFileError(f"{path}: [track] needs string `id` and `goal`")
 try:
  check_track_id(head["id"])  # it names the file the track is saved to next
 except TrackFileError as exc:
  raise TrackFileError(f"{path}: {exc}") from None
 return head


def _tickets(data: dict, path: Path) -> list[Ticket]:
 raw_tickets = data.get("tickets", [])
 if not isinstance(raw_tickets, list):
  raise TrackFileError(f"{path}: `tickets` must be an array of tables ([[tickets]])")
 tickets = [_ticket(raw, index, path) for index, raw in enumerate(raw_tickets)]
 if tickets:
  try:
   validate_plan(tickets)
  except PlanError as exc:
   raise TrackFileError(f"{path}: {exc}") from None
 return tickets


def _ticket(raw: object, index: int, path: Path) -> Ticket:
 try:
  return Ticket.from_dict(raw, f"tickets[{index}]")
 except PlanError as exc:
  raise TrackFileError(f"{path}:{_ticket_line(path, index)}: {exc}") from None


def load_track(project_dir: Path | str, track_id: str) -> Track:
 """Load a track of this project by id."""
 path = track_path(project_dir, track_id)
 if not path.exists():
  raise TrackFileError(f"{path}: no such track")
 return load_track_file(path)


def list_tracks(project_dir: Path | str) -> list[Path]:
 """Track files of this project, newest first."""
 folder = tracks_dir(project_dir)
 if not folder.is_dir():
  return []
 return sorted(folder.glob("*.toml"), key=lambda p: p.stat().st_mtime, reverse=True)


def _ticket_line(path: Path, index: int) -> int:
 # Only on the error path: the file parsed a moment ago, so reading it again is cheap and safe.
 seen = -1
 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
  if _TICKET_HEADER.match(line):
   seen += 1
   if seen == index:
    return number
 return 1
