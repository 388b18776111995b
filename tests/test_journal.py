"""The journal on its own, in this process: what a restart reads back after a crash, a full
disk, a short write or a failed repair, with fsync on and off, and every kind of header. The
servers that tests/test_durability.py kills run in child processes, where mutmut cannot see
which journal code they reach; these tests pin the same promises where it can."""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from sandbox.errors import StorageUnavailable
from sandbox.store.format import Damaged, NewerFormat, line
from sandbox.store.journal import HEADER, Journal, OpenJournals

ONE, TWO, THREE = [["put", "c", {"id": 1}]], [["put", "c", {"id": 2}]], [["put", "c", {"id": 3}]]


def written(path: Path, *records: Any, fsync: bool = False) -> Journal:
    journal = Journal(path, fsync=fsync)
    for record in records:
        journal.append(record)
    return journal


def replayed(path: Path, **options: bool) -> list[Any]:
    return list(Journal.replay(path, **options))


def test_a_new_journal_is_its_header_alone(tmp_path: Path) -> None:
    journal = written(tmp_path / "j.log")
    journal.close()
    assert (tmp_path / "j.log").read_bytes() == b'{"comms-sandbox":"journal","format":2}\n'
    assert Journal.format_of(tmp_path / "j.log") == 2
    assert replayed(tmp_path / "j.log") == []


def test_a_reopened_journal_appends_after_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    written(path, ONE).close()
    size = path.stat().st_size
    again = Journal(path)
    assert again.size == size  # no second header
    again.append(TWO)
    again.close()
    assert replayed(path) == [ONE, TWO]
    assert path.read_bytes().count(HEADER) == 1


def test_a_torn_tail_is_cut_off_for_good(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The repair keeps every complete line: a second restart still finds them all."""
    path = tmp_path / "j.log"
    written(path, ONE, TWO).close()
    whole = path.read_bytes()
    with path.open("ab") as handle:  # a crash in the middle of a write
        handle.write(b'0badc0de [["put","c",{"id":3')
    with caplog.at_level(logging.WARNING, "sandbox.store.journal"):
        assert replayed(path) == [ONE, TWO]
    assert f"journal {path}: dropping a torn last line after byte {len(whole)}" in caplog.messages
    assert path.read_bytes() == whole  # cut back to the last complete line
    assert replayed(path) == [ONE, TWO]  # the second restart
    written(path, THREE).close()
    assert replayed(path) == [ONE, TWO, THREE]


def test_without_repair_a_torn_tail_is_skipped_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    written(path, ONE).close()
    with path.open("ab") as handle:
        handle.write(b"0badc0de [")
    torn = path.read_bytes()
    assert replayed(path, repair=False) == [ONE]
    assert path.read_bytes() == torn


def test_a_torn_tail_of_an_older_journal_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    written(path, ONE).close()
    with path.open("ab") as handle:
        handle.write(b"0badc0de [")
    torn = path.read_bytes()
    with pytest.raises(Damaged) as raised:
        replayed(path, last=False)
    assert (raised.value.path, raised.value.problem) == (
        path,
        "its last line is cut short, and a later journal exists",
    )
    assert path.read_bytes() == torn


def test_a_damaged_complete_line_leaves_the_file_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    written(path, ONE, TWO).close()
    damaged = path.read_bytes().replace(b'"id":1', b'"id":7')
    path.write_bytes(damaged)
    with pytest.raises(Damaged) as raised:
        replayed(path)
    assert (raised.value.path, raised.value.problem) == (
        path,
        "line 2 does not match its checksum; the file is kept as it is",
    )
    assert path.read_bytes() == damaged


def test_a_first_release_journal_has_no_header_and_no_checksums(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    path.write_bytes(b'[["put","c",{"id":1}]]\n[["put","c",{"id":2}]]\n')
    assert Journal.format_of(path) == 1
    assert replayed(path) == [ONE, TWO]
    path.write_bytes(b'[["put","c",{"id":1}]]\nnot json\n')
    with pytest.raises(Damaged, match="line 2 is not JSON"):
        replayed(path)


@pytest.mark.parametrize(
    "tail",
    [b'[["put","c",{"id":', b'[["put","c",{"id":2}]]'],
    ids=["cut-short", "whole-but-for-its-newline"],
)
def test_a_first_release_journal_with_a_torn_tail(tmp_path: Path, tail: bytes) -> None:
    """A line is acknowledged with its newline: one without is dropped, even when it parses."""
    path = tmp_path / "j.log"
    path.write_bytes(b'[["put","c",{"id":1}]]\n' + tail)
    assert replayed(path) == [ONE]
    assert path.read_bytes() == b'[["put","c",{"id":1}]]\n'


@pytest.mark.parametrize(
    ("first", "error", "problem"),
    [
        (b'{"comms-sandbox":"journal","format":3}\n', NewerFormat, "storage format 3"),
        (b'{"comms-sandbox":"journal","format":2} \n', Damaged, "unknown format 2"),
        (b'{"comms-sandbox":"journal","format":"2"}\n', Damaged, "unknown format '2'"),
        (b'{"comms-sandbox":"journal","format":0}\n', Damaged, "unknown format 0"),
        (b'{"comms-sandbox":"journal"}\n', Damaged, "unknown format None"),
        (b'{"comms-sandbox":"journal",\n', Damaged, "its header line is damaged"),
        (b'{"comms-sandbox":"journal"}[]\n', Damaged, "its header line is damaged"),
        (b'{"comms-sandbox":"journal","format":[2]}\n', Damaged, "unknown format [2]"),
    ],
)
def test_a_header_this_release_cannot_read(
    tmp_path: Path, first: bytes, error: type[Damaged], problem: str
) -> None:
    path = tmp_path / "j.log"
    path.write_bytes(first + line(b'[["put","c",{"id":1}]]'))
    for read in (lambda: replayed(path), lambda: Journal.format_of(path)):
        with pytest.raises(error) as raised:
            read()
        assert raised.value.path == path
        if error is NewerFormat:
            assert problem in raised.value.problem
        else:  # the whole sentence
            assert raised.value.problem in (problem, f"its header names an {problem}")
    assert path.read_bytes().startswith(first)


def test_a_journal_that_does_not_exist_replays_nothing(tmp_path: Path) -> None:
    assert replayed(tmp_path / "none.log") == []
    assert not (tmp_path / "none.log").exists()


def test_an_integer_beyond_64_bits_is_journaled_whole(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    written(path, [["put", "c", {"id": 1, "points": 2**70}]]).close()
    assert replayed(path) == [[["put", "c", {"id": 1, "points": 2**70}]]]


# --- failures while writing --------------------------------------------------------------------
class Disk:
    """os.write, os.fsync and os.ftruncate as the journal sees them, failing on demand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fsynced: list[int] = []
        self.fail_write: OSError | None = None
        self.fail_truncate: OSError | None = None
        self.short: list[int] = []  # bytes each of the next write(2)s writes
        real_write, real_truncate = os.write, os.ftruncate

        def write(fd: int, data: Any) -> int:
            if self.fail_write is not None:
                real_write(fd, bytes(data)[:5])  # part of the line reaches the file
                raise self.fail_write
            if self.short:
                return real_write(fd, bytes(data)[: self.short.pop(0)])
            return real_write(fd, data)

        def truncate(fd: int, size: int) -> None:
            if self.fail_truncate is not None:
                raise self.fail_truncate
            real_truncate(fd, size)

        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            real_fsync(fd)  # refuses anything but an open file descriptor
            self.fsynced.append(fd)

        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "ftruncate", truncate)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Disk:
    return Disk(monkeypatch)


def test_a_short_write_is_finished(tmp_path: Path, disk: Disk) -> None:
    path = tmp_path / "j.log"
    journal = written(path, ONE)
    disk.short = [3, 5]  # the first write(2) and the one that finishes it are both short
    journal.append(TWO)
    journal.close()
    assert replayed(path) == [ONE, TWO]
    assert journal.size == path.stat().st_size


def test_fsync_is_off_unless_asked_for(tmp_path: Path, disk: Disk) -> None:
    journal = Journal(tmp_path / "j.log")
    journal.append(ONE)
    journal.close()
    assert disk.fsynced == []


def test_a_journal_is_readable_by_everyone_and_writable_by_its_owner(tmp_path: Path) -> None:
    written(tmp_path / "j.log", ONE).close()
    assert stat.S_IMODE((tmp_path / "j.log").stat().st_mode) == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_journal_that_cannot_be_created_is_a_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StorageUnavailable, match="space"):
        Journal(tmp_path / "j.log")
    assert not (tmp_path / "j.log").exists()


@pytest.mark.parametrize("fsync", [False, True])
def test_fsync_is_called_on_every_append_when_on(tmp_path: Path, disk: Disk, fsync: bool) -> None:
    journal = written(tmp_path / "j.log", ONE, TWO, fsync=fsync)
    assert len(disk.fsynced) == (2 if fsync else 0)
    journal.close()


@pytest.mark.parametrize("fsync", [False, True])
def test_a_failed_append_leaves_the_file_as_it_was(tmp_path: Path, disk: Disk, fsync: bool) -> None:
    path = tmp_path / "j.log"
    journal = written(path, ONE, fsync=fsync)
    before, synced = path.read_bytes(), len(disk.fsynced)
    disk.fail_write = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(StorageUnavailable, match="space") as raised:
        journal.append(TWO)
    assert f"{path.name}; the request changed nothing" in str(raised.value)
    assert path.read_bytes() == before and journal.size == len(before)
    assert len(disk.fsynced) == synced + (1 if fsync else 0)  # the undo is made durable too
    disk.fail_write = None
    journal.append(THREE)  # the journal is usable again
    journal.close()
    assert replayed(path) == [ONE, THREE]


def test_an_append_that_cannot_be_undone_breaks_the_journal(
    tmp_path: Path, disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.log"
    journal = written(path, ONE)
    disk.fail_write = OSError(errno.EIO, "Input/output error")
    disk.fail_truncate = OSError(errno.EROFS, "Read-only file system")
    with caplog.at_level(logging.ERROR, "sandbox.store.journal"), pytest.raises(StorageUnavailable):
        journal.append(TWO)
    assert (
        f"journal {path}: a failed append ([Errno 5] Input/output error) could not be undone "
        "([Errno 30] Read-only file system)"
    ) in caplog.messages
    disk.fail_write = disk.fail_truncate = None
    size = path.stat().st_size
    with pytest.raises(StorageUnavailable, match="Read-only"):  # nothing more is appended
        journal.append(THREE)
    assert path.stat().st_size == size
    journal.close()


def test_a_journal_whose_first_write_fails_leaves_no_file(tmp_path: Path, disk: Disk) -> None:
    disk.fail_write = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(StorageUnavailable):
        Journal(tmp_path / "j.log")
    assert not (tmp_path / "j.log").exists()


# --- open files --------------------------------------------------------------------------------
def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def open_journals(directory: Path) -> set[str]:
    """The names of the files in `directory` this process holds open."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
        if target.parent == directory:
            held.add(target.name)
    return held


def test_past_the_limit_the_idlest_journal_closes_its_file(tmp_path: Path) -> None:
    files = OpenJournals(limit=2)
    base = open_fds()
    journals = [Journal(tmp_path / f"{i}.log", files=files) for i in range(3)]
    for journal in journals:
        journal.append(ONE)
    assert open_journals(tmp_path) == {"1.log", "2.log"}  # the idlest, the first, closed
    journals[0].append(TWO)  # reopened; now the second is the idlest
    assert open_journals(tmp_path) == {"0.log", "2.log"}
    for journal in journals:
        journal.close()
    assert open_fds() == base
    assert [replayed(j.path) for j in journals] == [[ONE, TWO], [ONE], [ONE]]


def test_a_closed_journal_is_forgotten(tmp_path: Path) -> None:
    """A journal closed while it was the last one written counts again when it reopens."""
    files = OpenJournals(limit=1)
    base = open_fds()
    first, second = (Journal(tmp_path / f"{i}.log", files=files) for i in range(2))
    first.append(ONE)
    second.append(ONE)
    first.append(TWO)  # the last one written
    first.close()
    assert files.newest is None and open_fds() == base
    first.append(THREE)  # reopened, and counted
    second.append(TWO)  # so past the limit of one file, it is closed again
    assert open_fds() == base + 1
    first.close()
    second.close()
    assert replayed(first.path) == [ONE, TWO, THREE]


def test_a_closed_journal_frees_its_place_for_the_others(tmp_path: Path) -> None:
    files = OpenJournals(limit=2)
    first, second, third = (Journal(tmp_path / f"{i}.log", files=files) for i in range(3))
    first.append(ONE)
    second.append(ONE)
    second.close()
    third.append(ONE)  # two open files again: the first keeps its own
    assert open_journals(tmp_path) == {"0.log", "2.log"}
    first.close()
    third.close()
