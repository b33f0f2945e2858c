"""Uploaded files: ids in Telegram's style and the PhotoSize/Document shapes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
from dataclasses import dataclass
from typing import Any

# A 1x1 PNG, used when a test sends a photo without caring about its bytes.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@dataclass
class StoredFile:
    """One file the sandbox holds."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


def image_size(content: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG, or (0, 0) when unknown."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", content[6:10])
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            marker, length = content[i + 1], struct.unpack(">H", content[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return 0, 0


class FileStore:
    """Files by file_id; identical bytes share a file_unique_id, as in Telegram."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}

    def put(
        self, content: bytes, *, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store bytes and give them fresh ids."""
        file_id = f"SBX{kind[:3].upper()}{secrets.token_urlsafe(24)}"
        unique = base64.urlsafe_b64encode(hashlib.sha256(content).digest()[:12]).decode().rstrip("=")
        extension = (file_name or "").rpartition(".")[2] if file_name and "." in file_name else "bin"
        if kind == "photo":
            extension = "jpg" if content[:2] == b"\xff\xd8" else "png"
        path = f"{kind}s/file_{len(self._files)}.{extension}"
        stored = StoredFile(file_id, unique, kind, content, file_name, mime_type, path)
        self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        return self._files.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file with this getFile path, or None."""
        return next((f for f in self._files.values() if f.file_path == file_path), None)


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """Message.photo: the list of PhotoSize (one size: the sandbox makes no thumbnails)."""
    width, height = image_size(stored.content)
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.content),
        }
    ]


def document(stored: StoredFile) -> dict[str, Any]:
    """Message.document."""
    shape: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if stored.file_name:
        shape["file_name"] = stored.file_name
    if stored.mime_type:
        shape["mime_type"] = stored.mime_type
    return shape


def file_object(stored: StoredFile) -> dict[str, Any]:
    """The File object getFile answers with."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }
