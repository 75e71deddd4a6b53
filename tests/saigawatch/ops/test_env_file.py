"""schedule.env_file is read with the shell's rules, exactly as the cron line sources it."""
from __future__ import annotations

import os

import pytest

from saigawatch.context import UserError
from saigawatch.ops.env_file import load_env_file, read_env_file


def test_shell_rules_quotes_export_comments_and_expansion(tmp_path):
    env = tmp_path / "secrets.env"
    env.write_text("# secrets\nexport SW_T_A=robot\nSW_T_B='p w' # trailing comment\nSW_T_C=\"$SW_T_A-x\"\n"
                   "SW_T_D=a\\ b\n", encoding="utf-8")
    assert read_env_file(env) == {"SW_T_A": "robot", "SW_T_B": "p w", "SW_T_C": "robot-x", "SW_T_D": "a b"}


def test_load_puts_the_file_values_into_the_environment(tmp_path, monkeypatch):
    env = tmp_path / "secrets.env"
    env.write_text("SW_T_E=from-file\n", encoding="utf-8")
    monkeypatch.setenv("SW_T_E", "from-session")
    assert load_env_file(env) == ["SW_T_E"]
    assert os.environ["SW_T_E"] == "from-file"  # as in the scheduled job, the file wins
    assert load_env_file(tmp_path / "missing.env") == []


def test_a_broken_file_is_a_clear_error_naming_file_and_line(tmp_path):
    env = tmp_path / "secrets.env"
    env.write_text("SW_T_F=ok\nSW_T_G=\"unterminated\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"secrets\.env: \d+: Syntax error"):
        read_env_file(env)
