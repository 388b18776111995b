"""Storage that fails or lies (docs/contract.md section 12): a full disk, failing writes, torn and
damaged journals, snapshots and tenant records, a deleted lock. Each test asserts what a user
sees: the answer, and that every acknowledged write is still there after a restart; nothing
in the data directory is deleted because it could not be read."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import server

from sandbox.store.directory import DataDirectoryBusy
from sandbox.store.journal import Journal
from sandbox.testing import Sandbox, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SMS = "/capillary/v2/communications/sendMessage?channel=sms"


def send(client: httpx.Client, auth: dict[str, str], body: str = "shipped") -> httpx.Response:
    return client.post(SMS, json={"sms": [{"to": "919988221100", "body": body}]}, headers=auth)


def bodies(client: httpx.Client, tenant: str) -> list[str]:
    outbox = client.get(f"/_sandbox/tenants/{tenant}/outbox", params={"limit": 1000}).json()
    return [m["body"] for m in reversed(outbox["items"])]


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` with the SHA-256 of its content: to show nothing changed."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "LOCK"
    }


# --- the disk refuses a write -------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a disk that really fills up (needs root to mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.strip()}): the full-disk test needs root"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_with_503_and_loses_no_acknowledged_write(tmpfs: Path) -> None:
    data = tmpfs / "data"
    with server(data) as (_, client):
        tenant = Sandbox(client).create_tenant(EXAMPLE_FIXTURE, name="shop")
        auth = tenant.capillary_auth()
        assert send(client, auth, "before").status_code == 200
        journal = max((data / "tenants" / "shop").glob("journal.*.log"))
        size_before = journal.stat().st_size
        filler = tmpfs / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill the disk to the last block
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        refused = send(client, auth, "x" * 20_000)
        assert refused.status_code == 503
        error = refused.json()["errors"][0]
        assert error["code"] == 503
        assert error["message"].startswith("storage full: No space left on device while writing")
        assert "the request changed nothing" in error["message"]
        assert journal.stat().st_size == size_before  # cut back: no torn line left behind
        assert bodies(client, "shop") == ["before"]  # nothing changed in memory either
        filler.unlink()
        for number in range(5):
            assert send(client, auth, f"after {number}").status_code == 200
    with server(data) as (_, client):  # restarted (the first was killed with -9)
        assert bodies(client, "shop") == ["before"] + [f"after {n}" for n in range(5)]


def test_every_kind_of_storage_error_is_a_503_that_says_what_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Injected write failures (no root needed): each answer names the failure, the journal is
    byte-for-byte what it was, and the next write succeeds."""
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        auth = tenant.capillary_auth()
        assert send(sandbox.http, auth, "before").status_code == 200
        journal = max((tmp_path / "tenants" / "shop").glob("journal.*.log"))
        real_write = os.write
        expected = {
            errno.ENOSPC: "storage full",
            errno.EROFS: "storage read-only",
            errno.EIO: "storage I/O error",
            errno.EMFILE: "too many open files",
        }
        for code, words in expected.items():
            content = journal.read_bytes()

            def half_then_fail(fd: int, data: bytes | memoryview, code: int = code) -> int:
                monkeypatch.setattr(os, "write", real_write)  # the next call succeeds
                real_write(fd, bytes(data)[: len(data) // 2])  # a torn half, then the error
                raise OSError(code, os.strerror(code))

            monkeypatch.setattr(os, "write", half_then_fail)
            refused = send(sandbox.http, auth, f"refused {code}")
            assert refused.status_code == 503, refused.text
            assert refused.json()["errors"][0]["message"].startswith(words)
            assert journal.read_bytes() == content
        assert send(sandbox.http, auth, "after").status_code == 200
        assert bodies(sandbox.http, "shop") == ["before", "after"]
    with in_process(data_dir=tmp_path) as sandbox:
        assert bodies(sandbox.http, "shop") == ["before", "after"]


def test_a_failed_control_plane_write_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        before = tree(tmp_path)

        def disk_full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", disk_full)  # a full disk often shows first at fsync
        replaced = sandbox.http.put("/_sandbox/tenants/shop", json={})
        assert replaced.status_code == 503
        assert replaced.json()["error"]["code"] == "STORAGE_UNAVAILABLE"
        monkeypatch.undo()
        assert tree(tmp_path) == before  # no staging directory left, the tenant as it was
        assert tenant.outbox() == [] and len(tenant.snapshot()["capillary"]["customers"]) == 3


# --- damage on disk -----------------------------------------------------------------------


def _lived_in(data: Path) -> dict[str, str]:
    """Two tenants with acknowledged writes, then the server killed (-9)."""
    with server(data) as (_, client):
        credentials = {}
        for name in ("shop", "other"):
            tenant = Sandbox(client).create_tenant(EXAMPLE_FIXTURE, name=name)
            for number in range(3):
                assert send(client, tenant.capillary_auth(), f"{name} {number}").status_code == 200
            credentials[name] = tenant.capillary_auth()["Authorization"]
    return credentials


def _journal(data: Path, tenant: str) -> Path:
    return max((data / "tenants" / tenant).glob("journal.*.log"))


def _flip_a_byte_of_line(path: Path, line: int) -> None:
    """One bit of a letter inside a string, from the middle of the line on: the text stays
    JSON (only a checksum can tell), wherever the file's layout puts its middle."""
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = bytearray(lines[line])
    quote = damaged.index(b'"', len(damaged) // 2)
    at = next(i for i in range(quote + 1, len(damaged)) if chr(damaged[i]).islower())
    damaged[at] ^= 0x01
    lines[line] = bytes(damaged)
    path.write_bytes(b"".join(lines))


DAMAGE = {
    "a flipped byte in the middle of the journal": (
        lambda d: _flip_a_byte_of_line(_journal(d, "shop"), 2),
        "journal.1.log",
        "line 3 does not match its checksum; the file is kept as it is",
    ),
    "a deleted snapshot": (
        lambda d: (d / "tenants" / "shop" / "snapshot.1.json").unlink(),
        "snapshot.1.json",
        "is missing: journal.1.log starts from it",
    ),
    "an emptied snapshot": (
        lambda d: (d / "tenants" / "shop" / "snapshot.1.json").write_bytes(b""),
        "snapshot.1.json",
        "is not a TinyDB database (emptied or replaced?)",
    ),
    "a changed snapshot": (
        lambda d: _flip_a_byte_of_line(d / "tenants" / "shop" / "snapshot.1.json", 0),
        "snapshot.1.json",
        "does not match snapshot.1.crc (damaged or changed since written)",
    ),
    "a damaged tenant record": (
        lambda d: _flip_a_byte_of_line(d / "tenants" / "shop" / "tenant.json", 0),
        "tenant.json",
        "does not match its checksum (damaged)",
    ),
    "a newer release's journal": (
        lambda d: _journal(d, "shop").write_bytes(b'{"comms-sandbox":"journal","format":3}\n'),
        "journal.1.log",
        "written in storage format 3 by a newer comms-sandbox",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_tenant_is_quarantined_and_the_others_keep_working(
    tmp_path: Path, damage: str
) -> None:
    break_it, file, problem = DAMAGE[damage]
    data = tmp_path / "data"
    credentials = _lived_in(data)
    break_it(data)
    before = tree(data / "tenants" / "shop")
    with server(data) as (_, client):
        health = client.get("/_sandbox/health").json()
        [degraded] = health["degraded"]
        assert degraded["tenant"] == "shop" and degraded["file"] == f"tenants/shop/{file}"
        assert problem in degraded["problem"]
        answer = send(client, {"Authorization": credentials["shop"]})
        if file != "tenant.json":  # its credentials are known: its calls say why they fail
            assert answer.status_code == 503
            message = answer.json()["errors"][0]["message"]
            assert message.startswith("tenant shop is unavailable: its data is damaged")
            assert f"tenants/shop/{file}" in message
        else:  # the credentials are in the damaged file: nobody can be told apart
            assert answer.status_code == 401
        control = client.get("/_sandbox/tenants/shop/outbox")
        assert control.status_code == 503 and "damaged" in control.json()["error"]["message"]
        # every other tenant works, its acknowledged writes all there
        assert send(client, {"Authorization": credentials["other"]}).status_code == 200
        assert bodies(client, "other") == ["other 0", "other 1", "other 2", "shipped"]
        assert bodies(client, "demo") == []
    assert tree(data / "tenants" / "shop") == before  # not one byte changed, nothing deleted


def test_a_damaged_tenant_can_be_replaced_and_its_files_are_set_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    credentials = _lived_in(data)
    _flip_a_byte_of_line(_journal(data, "shop"), 2)
    damaged_files = tree(data / "tenants" / "shop")
    with server(data) as (_, client):
        replaced = client.put("/_sandbox/tenants/shop", json=EXAMPLE_FIXTURE)
        assert replaced.status_code == 200  # it existed: replaced, its credentials kept
        assert "degraded" not in client.get("/_sandbox/health").json()
        assert send(client, {"Authorization": credentials["shop"]}).status_code == 200
    [aside] = (data / "damaged").iterdir()
    assert aside.name.startswith("shop-") and tree(aside) == damaged_files


def test_a_torn_last_line_is_dropped_and_everything_before_it_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _lived_in(data)
    journal = _journal(data, "shop")
    with journal.open("ab") as handle:  # a crash in the middle of an append
        handle.write(b'1234abcd [["put","messages",{"id":"99')
    with server(data) as (_, client):
        assert "degraded" not in client.get("/_sandbox/health").json()
        assert bodies(client, "shop") == ["shop 0", "shop 1", "shop 2"]
    assert journal.read_bytes().endswith(b"\n")


def test_a_deleted_server_secret_costs_tokens_not_tenants(tmp_path: Path) -> None:
    data = tmp_path / "data"
    credentials = _lived_in(data)
    (data / "server.json").unlink()
    with server(data) as (_, client):
        assert send(client, {"Authorization": credentials["shop"]}).status_code == 200
        assert client.get("/_sandbox/tenants").json()["tenants"] == ["demo", "other", "shop"]


def test_a_crash_during_a_replace_leaves_the_old_tenant(tmp_path: Path) -> None:
    """A replace renames the old directory aside, then the new one into place: a crash
    between the two renames is undone at start-up, a crash before them leaves a staging
    directory that is removed (the replace was never acknowledged)."""
    data = tmp_path / "data"
    _lived_in(data)
    tenants = data / "tenants"
    os.rename(tenants / "shop", tenants / ".replaced-shop-0000")
    (tenants / ".staging-shop-1111").mkdir()
    (tenants / ".staging-shop-1111" / "fixture.json").write_text("{}")
    with server(data) as (_, client):
        assert bodies(client, "shop") == ["shop 0", "shop 1", "shop 2"]
        reset = client.post("/_sandbox/tenants/shop/reset")
        assert reset.status_code == 200
        customers = client.get("/_sandbox/tenants/shop/snapshot").json()["capillary"]["customers"]
        assert len(customers) == 3  # the reset restored the old tenant's fixture, not "{}"
    assert sorted(p.name for p in tenants.iterdir()) == ["demo", "other", "shop"]


def test_a_deleted_lock_file_does_not_let_a_second_server_in(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with server(data):
        (data / "LOCK").unlink()
        busy = pytest.raises(DataDirectoryBusy, match="another comms-sandbox process")
        with busy, in_process(data_dir=data):
            pass


# --- the first release's data directory ---------------------------------------------------

RELEASE = Path(__file__).parent / "data" / "format-1"


def test_a_data_directory_of_the_first_release_is_read_and_upgraded(tmp_path: Path) -> None:
    import json

    data = tmp_path / "data"
    shutil.copytree(RELEASE, data)
    expected = json.loads((Path(__file__).parent / "data" / "format-1.expected.json").read_text())
    with server(data) as (_, client):
        assert client.get("/_sandbox/tenants").json() == expected["tenants"]
        shop = client.get("/_sandbox/tenants/shop").json()
        assert shop["credentials"] == expected["credentials"]
        assert client.get("/_sandbox/tenants/shop/outbox").json() == {
            "items": expected["outbox"],
            "total": len(expected["outbox"]),
        }
        assert client.get("/_sandbox/tenants/shop/clock").json() == expected["clock"]
        assert client.get("/_sandbox/tenants/shop/faults").json() == expected["faults"]
        basic = (
            shop["credentials"]["capillary"]["username"],
            shop["credentials"]["capillary"]["password"],
        )
        assert (
            client.post(
                SMS, json={"sms": [{"to": "919988221100", "body": "x"}]}, auth=basic
            ).status_code
            == 200
        )
    # rewritten in this release's format; the old registry kept aside
    assert (data / "registry.format-1").is_dir() and not (data / "registry").exists()
    for tenant in ("demo", "shop"):
        directory = data / "tenants" / tenant
        assert (directory / "tenant.json").exists()
        assert Journal.format_of(max(directory.glob("journal.*.log"))) == 2
        assert list(directory.glob("snapshot.*.crc"))
    with server(data) as (_, client):  # and read again in the new format
        assert len(client.get("/_sandbox/tenants/shop/outbox").json()["items"]) == 4


def test_a_first_release_directory_without_its_registry_is_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(RELEASE, data)
    shutil.rmtree(data / "registry")
    before = tree(data / "tenants")
    with server(data) as (_, client):
        degraded = {
            d["tenant"]: d["problem"] for d in client.get("/_sandbox/health").json()["degraded"]
        }
        assert degraded == {
            "demo": "no tenant.json: not loaded, left as it is",
            "shop": "no tenant.json: not loaded, left as it is",
        }
    assert tree(data / "tenants") == before  # the first release removed these directories
