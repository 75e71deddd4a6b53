"""The "to label" view: unreviewed listings closest to the threshold, in the UI and on the command line."""
from __future__ import annotations

import json
import re

from saigawatch.cli import main

from .conftest import XSS_TITLE


def test_uncertain_listings_come_first_and_reviewed_ones_are_left_out(analyst, seeded):
    r = analyst.get("/queue/uncertain")
    assert r.status_code == 200
    ids = [int(x) for x in re.findall(r'href="/listings/(\d+)\?back=/queue/uncertain"', r.text)]
    assert ids[:2] == [seeded.ids["backlog"], seeded.ids["kk"]]  # scores 0.6 and 0.7 against threshold 0.5
    assert seeded.ids["reviewed_old"] not in ids
    assert XSS_TITLE not in r.text  # the hostile title is listed, escaped


def test_queue_links_to_the_label_view(analyst, seeded):
    assert 'href="/queue/uncertain"' in analyst.get("/queue").text


def test_viewer_may_not_label(viewer, seeded):
    assert viewer.get("/queue/uncertain").status_code == 403


def test_cli_lists_uncertain_listings(web_settings, seeded, tmp_path, capsys):
    config = tmp_path / "web.yaml"
    config.write_text(f"extends: {web_settings.config_path}\nstorage:\n  database_path: {web_settings.storage.database_path}\n"
                      f"  data_dir: {web_settings.storage.data_dir}\n", encoding="utf-8")
    assert main(["--config", str(config), "queue", "--uncertain", "--limit", "2", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["uncertain"]
    assert [i["id"] for i in items] == [seeded.ids["backlog"], seeded.ids["kk"]]
