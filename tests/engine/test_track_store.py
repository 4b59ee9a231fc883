import pytest

from mma_conductor.engine.tickets import Ticket, Track
from mma_conductor.engine.track_store import TrackFileError, list_tracks, load_track, save_track, track_path


def sample_track():
 return Track(
  "Build a CLI",
  tickets=[
   Ticket("t1", "Parser", "parse args", status="done", output='print("ok")\n"quoted" \\ back', models=["m1", "m2"]),
   Ticket("t2", "Tests", depends_on=["t1"], status="in_progress", cost_units=123456789012345678901234),
  ],
  status="running",
 )


def test_round_trip(tmp_path):
 track = sample_track()
 path = save_track(tmp_path, track)
 assert path == track_path(tmp_path, track.id) and path.exists()
 loaded = load_track(tmp_path, track.id)
 assert loaded.tickets == track.tickets
 assert (loaded.goal, loaded.id, loaded.status) == (track.goal, track.id, track.status)
 assert list_tracks(tmp_path) == [path]


def test_malformed_toml_names_file_and_line_and_is_not_overwritten(tmp_path):
 track = sample_track()
 path = save_track(tmp_path, track)
 broken = path.read_text().replace('status = "done"', 'status = "done', 1)
 path.write_text(broken)
 with pytest.raises(TrackFileError) as info:
  load_track(tmp_path, track.id)
 assert str(path) in str(info.value) and "line" in str(info.value)
 with pytest.raises(TrackFileError):
  save_track(tmp_path, track)
 assert path.read_text() == broken


def test_bad_ticket_field_names_file_and_line(tmp_path):
 track = sample_track()
 path = save_track(tmp_path, track)
 text = path.read_text()
 text = text.replace('status = "in_progress"', 'status = "sleeping"')
 path.write_text(text)
 with pytest.raises(TrackFileError) as info:
  load_track(tmp_path, track.id)
 lines = text.splitlines()
 second_header = [i for i, line in enumerate(lines, 1) if line.strip() == "[[tickets]]"][1]
 assert f"{path}:{second_header}:" in str(info.value)
 assert "tickets[1].status" in str(info.value)


def test_cycle_in_saved_file_is_reported(tmp_path):
 track = sample_track()
 path = save_track(tmp_path, track)
 path.write_text(path.read_text().replace("depends_on = []", 'depends_on = ["t2"]', 1))
 with pytest.raises(TrackFileError, match="dependency cycle"):
  load_track(tmp_path, track.id)


def test_missing_track(tmp_path):
 with pytest.raises(TrackFileError, match="no such track"):
  load_track(tmp_path, "nope")


# Ids that would name a file outside .mma/tracks (or no file at all) if joined to the folder as they are.
BAD_TRACK_IDS = ["../x", "../../outside", "..", ".", "", "/tmp/abs", "a/b", "a\\b", "x\x00y", "x\n", ".hidden", "C:x"]
BAD_TRACK_IDS += ["-rf", " x", "x" * 65]


@pytest.mark.parametrize("track_id", BAD_TRACK_IDS)
def test_a_bad_track_id_never_becomes_a_path(tmp_path, track_id):
 project = tmp_path / "project"
 for attempt in (
  lambda: track_path(project, track_id),
  lambda: load_track(project, track_id),
  lambda: save_track(project, Track("goal", id=track_id)),
 ):
  with pytest.raises(TrackFileError) as caught:
   attempt()
  message = str(caught.value)
  assert message.startswith(f"track id {track_id!r}: ") and "\n" not in message
 assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == []  # nothing written anywhere


def test_a_track_file_whose_id_is_a_path_is_refused(tmp_path):
 track = sample_track()
 path = save_track(tmp_path, track)
 path.write_text(path.read_text().replace(f'id = "{track.id}"', 'id = "../escaped"', 1))
 with pytest.raises(TrackFileError) as caught:
  load_track(tmp_path, track.id)
 assert str(caught.value).startswith(f"{path}: track id '../escaped': ")


def test_generated_track_ids_are_valid(tmp_path):
 track = Track("goal")
 assert track_path(tmp_path, track.id) == tmp_path / ".mma" / "tracks" / f"{track.id}.toml"
