"""`saigawatch keys` and `saigawatch evidence` from the command line."""
import json
import os
from pathlib import Path

from saigawatch.cli import main
from tests.alerts.evidence.helpers import store_listing


def _config(config_file: Path, tmp_path: Path, **evidence) -> Path:
    lines = [f"  signing_key_path: {tmp_path / 'keys' / 'org.pem'}", f"  export_dir: {tmp_path / 'exports'}",
             "  steps: [warc, context, environment, sign]"] + [f"  {k}: {v}" for k, v in evidence.items()]
    config_file.write_text(config_file.read_text() + "evidence:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return config_file


def test_keys_generate_and_show(config_file, tmp_path, capsys):
    cfg = ["--config", str(_config(config_file, tmp_path))]
    assert main([*cfg, "keys", "show"]) == 1
    assert "saigawatch keys generate" in capsys.readouterr().err
    assert main([*cfg, "keys", "generate"]) == 0
    out = capsys.readouterr().out
    assert "fingerprint: sha256:" in out
    assert os.stat(tmp_path / "keys" / "org.pem").st_mode & 0o777 == 0o600
    assert (tmp_path / "keys" / "org.pub.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert main([*cfg, "keys", "generate"]) == 1
    assert "already exists" in capsys.readouterr().err
    inside = Path(__file__).resolve().parents[3] / "key.pem"
    assert main([*cfg, "keys", "generate", "--path", str(inside)]) == 1
    assert "inside the source tree" in capsys.readouterr().err and not inside.exists()
    assert main([*cfg, "keys", "show"]) == 0
    assert out.splitlines()[-1].split()[-1] in capsys.readouterr().out


def test_capture_export_verify_handover(config_file, tmp_path, capsys, site):
    cfg = ["--config", str(_config(config_file, tmp_path))]
    assert main([*cfg, "init"]) == 0 and main([*cfg, "keys", "generate"]) == 0
    from config import load_config
    from store import Store

    settings = load_config(config_file)
    store = Store(settings.storage.database_url())
    lid = store_listing(store, settings, site, "CLI-7")
    capsys.readouterr()
    assert main([*cfg, "evidence", "export", str(lid), "--no-capture"]) == 1
    assert "never captured" in capsys.readouterr().err
    assert main([*cfg, "evidence", "capture", str(lid), "--operator", "aigerim"]) == 0
    assert "warc=ok" in capsys.readouterr().out
    assert main([*cfg, "evidence", "export", str(lid), "--case", "Дело 9", "--operator", "aigerim"]) == 0
    bundle = Path(capsys.readouterr().out.strip())
    assert bundle.is_file() and bundle.parent == tmp_path / "exports"
    # no trusted key: intact, but origin NOT checked, with its own exit status
    assert main([*cfg, "evidence", "verify", str(bundle), "--lang", "en"]) == 2
    assert "INTACT, ORIGIN NOT CHECKED" in capsys.readouterr().out
    assert main([*cfg, "keys", "show"]) == 0
    fingerprint = next(x.split()[-1] for x in capsys.readouterr().out.splitlines() if x.startswith("fingerprint:"))
    # the fingerprint as printed in the appeal letter: verified
    assert main([*cfg, "evidence", "verify", str(bundle), "--fingerprint", fingerprint, "--lang", "ru"]) == 0
    out = capsys.readouterr().out
    assert "ПРОВЕРЕНО" in out and fingerprint in out
    assert main([*cfg, "evidence", "verify", str(bundle), "--fingerprint", fingerprint, "--lang", "kk"]) == 0
    assert "ТЕКСЕРІЛДІ" in capsys.readouterr().out
    # someone else's fingerprint: not intact, and nothing is called trusted
    assert main([*cfg, "evidence", "verify", str(bundle), "--fingerprint", "sha256:" + "ab" * 32]) == 1
    out = capsys.readouterr().out
    assert "доверенным ключом" in out and "(доверенный ключ:" not in out
    assert main([*cfg, "evidence", "handover", str(lid), "--to", "ОП Медеуского района", "--number", "ЕРДР 261"]) == 0
    capsys.readouterr()
    assert main([*cfg, "evidence", "custody", str(lid)]) == 0
    actions = [json.loads(x)["action"] for x in capsys.readouterr().out.splitlines()]
    assert actions == ["captured", "exported", "handed_over"]
    assert main([*cfg, "evidence", "export", "4242"]) == 1
    assert "no listing with id 4242" in capsys.readouterr().err
    store.dispose()
