"""`--project`: never creates a folder by itself, stands before or after the subcommand; `init` creates one."""

import json
import re

import pytest

from mma_conductor.app.project_config import CONFIG_NAME, default_config_text, load_project_config
from mma_conductor.cli import main, split_project_option
from mma_conductor.engine.config import ProjectConfig


@pytest.mark.parametrize("command", [["run", "--goal", "Tiny tool"], ["pricing"], ["costs", "summary"], []])
def test_a_missing_project_folder_is_refused_and_not_created(tmp_path, capsys, command):
 missing = tmp_path / "no" / "such" / "project"
 assert main(["--project", str(missing), *command]) == 2
 error = capsys.readouterr().err.strip()
 assert error == (
  f"mma-conductor: --project {missing} does not exist (create it with: mma-conductor init --project {missing})"
 )
 assert not (tmp_path / "no").exists()


def test_a_file_as_project_is_refused(tmp_path, capsys):
 afile = tmp_path / "notes.txt"
 afile.write_text("x")
 assert main(["--project", str(afile), "pricing"]) == 2
 assert capsys.readouterr().err.strip() == f"mma-conductor: --project {afile} is not a folder"


@pytest.mark.parametrize(
 "argv",
 [
  ["--project", "{p}", "costs", "summary", "--json"],
  ["costs", "--project", "{p}", "summary", "--json"],
  ["costs", "summary", "--json", "--project", "{p}"],
  ["costs", "summary", "--json", "--project={p}"],
 ],
 ids=["before", "between", "after", "equals"],
)
def test_project_works_before_and_after_the_subcommand(tmp_path, capsys, argv):
 project = tmp_path / "project"
 project.mkdir()
 ledger = tmp_path / "elsewhere.sqlite3"
 (project / CONFIG_NAME).write_text(f'[ledger]\npath = "{ledger.as_posix()}"\n')
 assert main([word.replace("{p}", str(project)) for word in argv]) == 0
 # The project's [ledger] path was used, wherever --project stood.
 assert json.loads(capsys.readouterr().out)["ledger"] == str(ledger)


def test_split_project_option_takes_the_last_and_leaves_the_rest():
 assert split_project_option(["--project", "a", "run", "--goal", "g", "--project=b"]) == ("b", ["run", "--goal", "g"])
 assert split_project_option(["run", "--goal", "g"]) == (None, ["run", "--goal", "g"])


def test_init_creates_the_folder_and_a_config_that_reads_back_as_the_defaults(tmp_path, capsys):
 project = tmp_path / "new" / "project"
 assert main(["init", "--project", str(project)]) == 0
 config = project / CONFIG_NAME
 assert f"created {config}" in capsys.readouterr().out
 assert load_project_config(project) == ProjectConfig(project)  # everything commented out
 uncommented = re.sub(r"^# (?=\[|\w+ =)", "", config.read_text(), flags=re.MULTILINE)
 config.write_text(uncommented)
 assert load_project_config(project) == ProjectConfig(project)  # and every value is the default
 assert main(["init", "--project", str(project)]) == 0
 assert config.read_text() == uncommented  # an existing config is left as it is
 assert "left as it is" in capsys.readouterr().out


def test_default_config_text_names_every_tier():
 text = default_config_text()
 assert all(f"# [tiers.tier{n}]" in text for n in range(1, 5))


@pytest.mark.parametrize("argv", [["estimate"], ["--bogus"], ["costs", "summary", "--since"]])
def test_a_bad_command_line_is_usage_plus_one_error_line(capsys, argv):
 with pytest.raises(SystemExit) as info:
  main(argv)
 assert info.value.code == 2
 lines = capsys.readouterr().err.strip().splitlines()
 assert lines[0].startswith("usage: mma-conductor") and lines[-1].startswith("mma-conductor")
 assert ": error: " in lines[-1] and "Traceback" not in "\n".join(lines)
