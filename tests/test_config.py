"""Config loading: extends, file-relative paths, defaults and secrets from the environment."""
from pathlib import Path

import pytest

from config import ConfigError, load_config

SHIPPED = Path(__file__).resolve().parent.parent / "config"


def test_shipped_config_is_valid():
    settings = load_config(SHIPPED / "saigawatch.yaml")
    assert settings.sources and all(s.name for s in settings.sources)
    assert Path(settings.classifier.lexicon_dir) == SHIPPED / "lexicons"


def test_demo_config_is_valid():
    assert load_config(SHIPPED / "demo.yaml").sources


def test_extending_config_elsewhere_keeps_shipped_lexicons(tmp_path):
    cfg = tmp_path / "site.yaml"
    cfg.write_text(f"extends: {SHIPPED / 'saigawatch.yaml'}\nschedule:\n  time: '05:30'\n", encoding="utf-8")
    settings = load_config(cfg)
    assert settings.schedule.time == "05:30"
    assert Path(settings.classifier.lexicon_dir) == SHIPPED / "lexicons"


def test_relative_lexicon_dir_is_relative_to_its_file(tmp_path):
    (tmp_path / "conf").mkdir()
    cfg = tmp_path / "conf" / "site.yaml"
    cfg.write_text("classifier:\n  lexicon_dir: my-lexicons\n", encoding="utf-8")
    assert Path(load_config(cfg).classifier.lexicon_dir) == tmp_path / "conf" / "my-lexicons"


def test_standalone_config_defaults_to_shipped_lexicons(tmp_path):
    cfg = tmp_path / "bare.yaml"
    cfg.write_text("schedule:\n  time: '07:00'\n", encoding="utf-8")
    assert Path(load_config(cfg).classifier.lexicon_dir) == SHIPPED / "lexicons"


def test_extends_loop_is_an_error(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("extends: b.yaml\n", encoding="utf-8")
    b.write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="loops back"):
        load_config(a)


def test_database_url_from_environment(monkeypatch, tmp_path):
    settings = load_config(SHIPPED / "saigawatch.yaml")
    monkeypatch.delenv("SAIGAWATCH_DATABASE_URL", raising=False)
    assert settings.storage.database_url().startswith("sqlite:///")
    monkeypatch.setenv("SAIGAWATCH_DATABASE_URL", "postgresql://u@127.0.0.1/db")
    assert settings.storage.database_url() == "postgresql://u@127.0.0.1/db"


def test_not_a_mapping_is_an_error(tmp_path):
    cfg = tmp_path / "list.yaml"
    cfg.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(cfg)


def test_wrong_encoding_names_the_file(tmp_path):
    cfg = tmp_path / "cp1251.yaml"
    cfg.write_bytes("evidence:\n  organisation: 'Фонд'\n".encode("cp1251"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(cfg)


def test_duplicate_key_is_an_error_naming_file_and_line(tmp_path):
    cfg = tmp_path / "dup.yaml"
    cfg.write_text(f"extends: {SHIPPED / 'saigawatch.yaml'}\nstorage:\n  data_dir: /srv/a\n"
                   "schedule:\n  time: '05:00'\nstorage:\n  data_dir: /srv/b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert str(err.value).startswith(f"{cfg}: line 6, column 1:")
    assert "duplicate key 'storage' (first given on line 2)" in str(err.value)


def test_duplicate_nested_key_and_duplicate_in_an_extended_file(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("web:\n  port: 8000\n  host: 127.0.0.1\n  port: 9000\n", encoding="utf-8")
    site = tmp_path / "site.yaml"
    site.write_text("extends: base.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"base\.yaml: line 4, column 3: invalid YAML: duplicate key 'port'"):
        load_config(site)


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_config_file_is_an_error(tmp_path, content):
    cfg = tmp_path / "empty.yaml"
    cfg.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"empty\.yaml: line 1: the file is empty"):
        load_config(cfg)


def test_merge_keys_may_be_overridden_but_not_given_twice(tmp_path):
    cfg = tmp_path / "merge.yaml"
    cfg.write_text("x-defaults: &d {port: 8000, host: 127.0.0.1}\nweb:\n  <<: *d\n  port: 9000\n", encoding="utf-8")
    from config.loader import _read_yaml

    assert _read_yaml(cfg)["web"] == {"port": 9000, "host": "127.0.0.1"}
