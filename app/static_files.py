"""Static files under content-hashed names, kept by browsers and CDNs for a year.

``static_url("css/app.css")`` gives ``/static/css/app.3f2a1b9c.css``: the name carries a
digest of the file's bytes, worked out once when the app starts, so a new release of a file
has a new address and its old address never needs to be forgotten by any cache. Such an
address is served ``immutable`` for a year; the plain address (``/static/css/app.css``)
keeps working with a short life, for anything that links to it by name (Leaflet's CSS
names its images relative to itself, for one).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path, PurePosixPath

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.config import PROJECT_ROOT
from app.http_cache import STATIC_IMMUTABLE, STATIC_SHORT

URL_PREFIX = "/static/"
DIGEST_LENGTH = 8


def hashed_name(path: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.3f2a1b9c.css`` (the digest before the last suffix)."""
    digest = hashlib.sha256(content).hexdigest()[:DIGEST_LENGTH]
    posix = PurePosixPath(path)
    if posix.suffix:
        return str(posix.with_name(f"{posix.stem}.{digest}{posix.suffix}"))
    return f"{path}.{digest}"


class StaticManifest:
    """Every file under a directory, by name and by hashed name (hidden files aside)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._hashed: dict[str, str] = {}  # css/app.css → css/app.3f2a1b9c.css
        self._original: dict[str, str] = {}  # and back
        self._built = False
        self._lock = threading.Lock()

    def build(self) -> None:
        """Hash every file now (at startup): ~3 MB with the vendored libraries, a few ms."""
        hashed: dict[str, str] = {}
        for root, directories, files in os.walk(self.directory):
            directories[:] = sorted(d for d in directories if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(root) / name
                relative = full.relative_to(self.directory).as_posix()
                hashed[relative] = hashed_name(relative, full.read_bytes())
        with self._lock:
            self._hashed = hashed
            self._original = {v: k for k, v in hashed.items()}
            self._built = True

    def _ensure_built(self) -> None:
        if not self._built:
            self.build()

    def url(self, path: str) -> str:
        """The hashed address of a static file; its plain address if there is no such file."""
        self._ensure_built()
        return URL_PREFIX + self._hashed.get(path, path)

    def original(self, hashed_path: str) -> str | None:
        """The file a hashed name stands for (None if it is not one)."""
        self._ensure_built()
        return self._original.get(hashed_path)


static_manifest = StaticManifest(PROJECT_ROOT / "static")


def static_url(path: str) -> str:
    return static_manifest.url(path)


class HashedStaticFiles(StaticFiles):
    """StaticFiles that also answers hashed names (for a year) and plain ones (briefly)."""

    def __init__(self, *, manifest: StaticManifest) -> None:
        super().__init__(directory=manifest.directory)
        self.manifest = manifest

    async def get_response(self, path: str, scope: Scope) -> Response:
        original = self.manifest.original(PurePosixPath(path).as_posix())
        response = await super().get_response(original or path, scope)
        response.headers["Cache-Control"] = STATIC_IMMUTABLE if original else STATIC_SHORT
        return response
