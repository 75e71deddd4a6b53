"""Run py-wacz's reference validator (`wacz validate`) on WACZ bytes, in-process; and check every WACZ a test builds."""
from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
from pathlib import Path


def wacz_validate(data: bytes) -> tuple[int, str]:
    """(exit status, output) of `wacz validate -f FILE` on these bytes."""
    from wacz.main import validate_wacz

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.wacz"
        path.write_bytes(data)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = validate_wacz(argparse.Namespace(file=str(path), verify_auth=False, verifier_url=None))
    return status, out.getvalue()


def validating(build):
    """Wrap build_wacz so every archive it returns must pass the reference validator."""
    def wrapper(*args, **kwargs):
        data = build(*args, **kwargs)
        status, output = wacz_validate(data)
        assert status == 0 and "Validation succeeded" in output, f"wacz validate rejects a built WACZ:\n{output}"
        validating.count += 1
        return data
    return wrapper


validating.count = 0
