from mma_conductor.app.settings import AppSettings, load_settings, save_settings


def test_settings_round_trip(tmp_path):
 path = tmp_path / "cfg" / "settings.toml"
 assert load_settings(path) == AppSettings()
 save_settings(AppSettings(goal='Ship "v2" \\ now'), path)
 assert load_settings(path).goal == 'Ship "v2" \\ now'


def test_broken_settings_are_reported_and_never_overwritten(tmp_path, capsys):
 path = tmp_path / "settings.toml"
 path.write_text("goal = 'unterminated\n")
 settings = load_settings(path)
 assert settings.goal == AppSettings().goal
 assert str(path) in capsys.readouterr().err
 settings.goal = "new goal"
 save_settings(settings, path)
 assert path.read_text() == "goal = 'unterminated\n"


def test_unwritable_folder_is_reported_not_fatal(tmp_path, capsys):
 blocker = tmp_path / "file"
 blocker.write_text("x")
 save_settings(AppSettings(goal="g"), blocker / "settings.toml")
 assert "could not save settings" in capsys.readouterr().err
