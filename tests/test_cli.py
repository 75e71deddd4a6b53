"""The CLI shell: every command has help, errors are one line with a non-zero status."""
import subprocess
import sys

import click
import pytest

from saigawatch.cli import app, main


def _walk(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, prefix + (name,))


def test_every_command_and_option_has_help():
    missing = []
    for path, cmd in _walk(app):
        if not (cmd.help or "").strip():
            missing.append(" ".join(path))
        for param in cmd.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert not missing, f"commands/options without help text: {missing}"


def test_core_commands_exist():
    names = set(app.commands)
    assert {"init", "run-daily"} <= names


def test_help_runs_for_every_command():
    for path, _cmd in _walk(app):
        with pytest.raises(SystemExit) as exit_info:
            app.main(args=[*path, "--help"], prog_name="saigawatch", standalone_mode=True)
        assert exit_info.value.code == 0, path


def test_bad_config_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("storage:\n  database_path: [1, 2\n", encoding="utf-8")
    assert main(["--config", str(bad), "init"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(bad) in err[0] and "line" in err[0]


def test_invalid_value_names_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schedule:\n  time: '25:99'\n", encoding="utf-8")
    assert main(["--config", str(bad), "init"]) == 2
    err = capsys.readouterr().err
    assert "schedule.time" in err and "HH:MM" in err


def test_unknown_key_is_rejected(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("storage:\n  databse_path: x.db\n", encoding="utf-8")
    assert main(["--config", str(bad), "init"]) == 2
    assert "storage.databse_path" in capsys.readouterr().err


def test_uninitialised_database_is_clear(config_file, capsys):
    assert main(["--config", str(config_file), "run-daily"]) == 2
    assert "saigawatch init" in capsys.readouterr().err


def test_init_then_again_is_fine(config_file, capsys):
    assert main(["--config", str(config_file), "init"]) == 0
    assert main(["--config", str(config_file), "init"]) == 0
    assert "database ready" in capsys.readouterr().out


def test_console_script_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "saigawatch", "--config", str(tmp_path / "missing.yaml"), "init"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing.yaml: file not found" in proc.stderr
