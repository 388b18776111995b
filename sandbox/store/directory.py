"""The data directory's files that hold no tenant's state (sandbox/store/store.py keeps the
tenants; store/files.py one tenant's journal and snapshots):

    DATA_DIR/
      LOCK                  the owning process's pid (the lock itself is on the directory)
      server.json           the server's signing secret
      tenants/<name>/       one tenant (store/files.py)
      damaged/<name>-<time> a damaged tenant's files, set aside when it was replaced or deleted

A tenant is created or replaced by renaming a complete staging directory into place
(`swap_in`; a crash leaves the old tenant or the new one, never a mix, `finish_interrupted_swaps`
at start-up), and deleted by renaming it out of the way first (`move_out`). A damaged tenant's
files are set aside, never deleted (`dispose`)."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
from pathlib import Path

from sandbox.store.format import (
    Damaged,
    fsync_directory,
    read_checked_file,
    storage_error,
    write_checked_file,
)

log = logging.getLogger(__name__)


class DataDirectoryBusy(RuntimeError):
    """Another process holds the data directory (`lock_directory`)."""


def swap_in(root: Path, name: str, staging: Path, damaged: bool) -> Path:
    """Rename the complete staging directory `staging` to tenant `name`'s and give its path;
    the old one (if any; its files keep their descriptors, the rename does not touch them)
    goes first to a name start-up restores from should a crash fall between the two
    renames, and is disposed of (`damaged`: set aside)."""
    tenants = root / "tenants"
    final = tenants / name
    replaced = tenants / f".replaced-{name}-{secrets.token_hex(4)}"
    try:
        if final.exists():
            os.rename(final, replaced)
        os.rename(staging, final)
        fsync_directory(tenants)
    except OSError as exc:
        if replaced.exists() and not final.exists():
            os.rename(replaced, final)
        raise storage_error(exc, final) from None
    if replaced.exists():
        dispose(root, name, replaced, damaged)
    return final


def move_out(root: Path, name: str, damaged: bool) -> None:
    """Tenant `name`'s directory renamed out of the way (durably), then disposed of."""
    directory = root / "tenants" / name
    if not directory.exists():
        return
    doomed = directory.with_name(f".deleting-{name}-{secrets.token_hex(4)}")
    try:
        os.rename(directory, doomed)
        fsync_directory(directory.parent)
    except OSError as exc:
        raise storage_error(exc, directory) from None
    dispose(root, name, doomed, damaged)


def dispose(root: Path, name: str, directory: Path, damaged: bool) -> None:
    """Remove a tenant's old directory; a damaged tenant's is set aside, never deleted."""
    if not damaged:
        shutil.rmtree(directory, ignore_errors=True)
        return
    target = root / "damaged" / f"{name}-{secrets.token_hex(4)}"
    target.parent.mkdir(exist_ok=True)
    os.rename(directory, target)
    log.warning("tenant %s: its damaged files were set aside in %s", name, target)


def relative(path: Path, root: Path | None) -> str:
    """`path` as the data directory names it (as given, outside it)."""
    try:
        return str(path.relative_to(root)) if root is not None else str(path)
    except ValueError:
        return str(path)


def finish_interrupted_swaps(tenants: Path) -> None:
    """What a crash during a create, replace or delete left: a staging directory (never
    acknowledged: removed), the old directory of a replace whose new one is not in place
    (restored), and a deleted tenant's directory (acknowledged: removed)."""
    for path in sorted(tenants.iterdir()):
        kind, _, rest = path.name.partition("-")
        name = rest.rsplit("-", 1)[0]
        if kind in {".staging", ".deleting"}:
            shutil.rmtree(path, ignore_errors=True)
        elif kind == ".replaced":
            if (tenants / name).exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rename(path, tenants / name)
                log.warning("tenant %s: restored after a replace a crash interrupted", name)


def server_secret(root: Path, migrated: str | None) -> bytes:
    """The signing secret: server.json, else the first release's registry, else a new one."""
    path = root / "server.json"
    if path.exists():
        try:
            return bytes.fromhex(read_checked_file(path, "server")["secret"])
        except (Damaged, KeyError, ValueError) as exc:
            aside = path.with_name(f"server.json.damaged-{secrets.token_hex(2)}")
            os.rename(path, aside)
            log.error(
                "%s (%s): a new signing secret replaces it, so tokens issued before no longer "
                "verify; the old file is %s",
                path,
                exc,
                aside.name,
            )
    secret = migrated or secrets.token_hex(32)
    write_checked_file(path, "server", {"secret": secret})
    return bytes.fromhex(secret)


def lock_directory(root: Path) -> int:
    """One process per data directory. The lock is on the directory itself, so deleting the
    LOCK file (which only tells people the owner's pid) does not let a second server in."""
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirectoryBusy(
            f"another comms-sandbox process is using {root}; give each its own --data-dir"
        ) from None
    try:
        (root / "LOCK").write_text(f"{os.getpid()}\n")
    except OSError as exc:
        log.warning("cannot write %s (%s); continuing", root / "LOCK", exc)
    return fd
