"""Where roc keeps a user's sessions when nobody says otherwise (the CLI's default)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["data_dir", "default_store_path", "default_store_url", "is_default_store"]


def data_dir() -> Path:
    """Where roc keeps user data: ``$XDG_DATA_HOME/roc`` (or the platform's equivalent)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "roc"
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / "roc"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "roc"


def default_store_path() -> Path:
    return data_dir() / "sessions.db"


def default_store_url() -> str:
    return f"sqlite:///{default_store_path()}"


def is_default_store(path: str | None) -> bool:
    """Is ``path`` roc's own default store file (the one roc may make, directory and all)?"""
    return path is not None and Path(path) == default_store_path()
