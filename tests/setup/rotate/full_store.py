"""A store folder that is full when a rotation stores: a small tmpfs, filled (needs root)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fill(path: Path) -> None:
    """Write zeros to *path* until the file system is full (OSError)."""
    with path.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()


@contextmanager
def small_tmpfs(folder: Path) -> Iterator[Path]:
    """*folder* as a 512 KiB tmpfs (0700) for the block; unmounted after."""
    folder.mkdir()
    subprocess.run(
        ["/usr/bin/mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", folder],
        check=True,
        timeout=30,
    )
    try:
        yield folder
    finally:
        subprocess.run(["/usr/bin/umount", folder], check=True, timeout=30)
