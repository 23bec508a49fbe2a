"""Content-Disposition for downloads whose names are Chinese (RFC 6266 / RFC 5987)."""
from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str, ascii_fallback: str, disposition: str = "attachment") -> dict[str, str]:
    """Headers that name the file `filename` in browsers that read `filename*` (all current ones) and
    `ascii_fallback` in the rest; `disposition` "inline" opens it in the browser (a PDF to print)."""
    return {"Content-Disposition":
            f"{disposition}; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename)}"}
