"""Output paths checked before any work starts: a run must not fail at its end for want of a folder it
could have been told about at once."""

from __future__ import annotations

import os
import tempfile


def check_output_path(path: str | os.PathLike, option: str, folder: bool) -> None:
    """Raises ValueError naming `option` when `path` cannot be written: a file where a folder is wanted
    (or the reverse), a file on the way, or a nearest existing folder where no file can be created
    (tried for real: permission bits do not stop root, read-only file systems do)."""
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and os.path.isdir(path) != folder:
        raise ValueError(
            f"{option} {path}: is a {'file' if folder else 'folder'}, not a {'folder' if folder else 'file'}"
        )
    parent = path if folder and os.path.isdir(path) else os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path}: {parent} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as error:
        raise ValueError(f"{option} {path}: cannot write in {parent} ({error.strerror})") from None
