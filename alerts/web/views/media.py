"""Files from the local store: listing photos and stored WARC captures (never hot-linked, never run)."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.security import CAPTURE_CSP
from store.models import Capture, Image

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp"}


def inside(base: Path, relative: str) -> Path:
    """data_dir/relative, refusing paths that leave data_dir."""
    base = base.resolve()
    full = (base / relative).resolve()
    if full != base and base not in full.parents:
        raise ApiError(404, "not_found", "file outside the data directory")
    return full


@page(roles=ANALYSTS)
def image_file(request: Request, db) -> Response:
    image = db.get(Image, request.path_params["image_id"])
    if image is None or not image.path:
        raise ApiError(404, "not_found", "no stored copy of this photo")
    path = inside(request.app.state.settings.storage.data_path, image.path)
    if not path.is_file():
        raise ApiError(404, "not_found", "the stored photo file is missing")
    media_type = mimetypes.guess_type(path.name)[0] or _sniff(path)
    if media_type not in IMAGE_TYPES:
        media_type = "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Content-Security-Policy": CAPTURE_CSP,
                                                              "Cache-Control": "private, max-age=3600"})


def _sniff(path: Path) -> str | None:
    head = path.open("rb").read(16)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


@page(roles=ANALYSTS)
def capture_file(request: Request, db) -> Response:
    """The captured response body as plain text (or a download): a hostile page is shown as source, never run."""
    from store.warc import read_response

    capture = db.get(Capture, request.path_params["capture_id"])
    if capture is None:
        raise ApiError(404, "not_found", f"no capture with id {request.path_params['capture_id']}")
    data_dir = request.app.state.settings.storage.data_path
    inside(data_dir, capture.warc_path)
    try:
        record = read_response(data_dir, capture.warc_path, capture.warc_offset)
    except (OSError, ValueError) as exc:
        raise ApiError(404, "capture_unreadable", f"the stored capture cannot be read: {exc}") from None
    headers = {"Content-Security-Policy": CAPTURE_CSP, "X-Content-Type-Options": "nosniff",
               "X-SaigaWatch-Capture-SHA256": capture.sha256}
    if request.query_params.get("download"):
        suffix = ".html" if "html" in (capture.content_type or "") else ".bin"
        headers["Content-Disposition"] = f'attachment; filename="capture-{capture.id}{suffix}"'
        return Response(record.body, media_type="application/octet-stream", headers=headers)
    charset = _charset(capture.content_type) or "utf-8"
    text = record.body.decode(charset, errors="replace")
    preface = (f"# SaigaWatch stored capture {capture.id}\n# URL: {record.url}\n# HTTP status: {record.status}\n"
               f"# fetched: {capture.fetched_at.isoformat()}  body {capture.sha256}\n"
               f"# Shown as plain text on purpose: the page's scripts are never run.\n\n")
    return Response(preface + text, media_type="text/plain; charset=utf-8", headers=headers)


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                import codecs

                codecs.lookup(value.strip('"'))
                return value.strip('"')
            except LookupError:
                return None
    return None
