"""The set of tenants and their credentials, kept in a data directory (the default) or in
PostgreSQL (`--database-url`, store/postgres.py).

A tenant directory describes itself (tenants/<name>/tenant.json: its name, credentials and
incarnation; store/directory.py the directory's other files and its renames), so there is no
registry to lose: the tenants are the directories with a readable tenant.json. A tenant is
created or replaced by writing a whole new directory under a staging name and renaming it into
place (a crash leaves the old tenant or the new one, never a mix), and deleted by renaming it
out of the way first. A tenant whose files are damaged is quarantined, not deleted: the server
starts, its calls answer 503 naming the problem and the file, and `degraded` lists it. A
directory that is not understood is left exactly as it is and logged. The first release's
layout (a `registry/` journal) is migrated at start-up and its registry kept as
`registry.format-1`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sandbox.doc import Doc
from sandbox.errors import Conflict, StorageUnavailable
from sandbox.settings import Settings
from sandbox.store import base_collections, legacy
from sandbox.store.collection import Collection, CollectionSpec
from sandbox.store.directory import (
    finish_interrupted_swaps,
    lock_directory,
    move_out,
    relative,
    server_secret,
    swap_in,
)
from sandbox.store.files import TenantFiles, files_of
from sandbox.store.format import Damaged, read_checked_file, write_checked_file
from sandbox.store.journal import OpenJournals
from sandbox.store.pg_rows import TenantRows
from sandbox.store.postgres import Registry
from sandbox.store.tenant import MessageListener, TenantData

log = logging.getLogger(__name__)

# journals kept open at once, at most (a quarter of the server's file descriptors)
JOURNALS_OPEN = 256


@dataclass(frozen=True)
class Degraded:
    """A tenant that could not be loaded: why, and which file."""

    tenant: str
    problem: str
    file: str

    def document(self) -> dict[str, str]:
        return {"tenant": self.tenant, "problem": self.problem, "file": self.file}

    def error(self) -> StorageUnavailable:
        return StorageUnavailable(
            f"tenant {self.tenant} is unavailable: its data is damaged ({self.file}: "
            f"{self.problem}); other tenants are not affected. Restore the file, or replace "
            f"or delete the tenant (its files are then set aside under damaged/)"
        )


class TenantListener(MessageListener, Protocol):
    """Hears each recorded message, and each tenant put in place, replaced or removed (the
    app's event bus, sandbox/events.py)."""

    def tenant_changed(self, tenant: str) -> None: ...


# what stands for a tenant name: its data, its quarantine, or nothing
Current = TenantData | Degraded | None


@dataclass(frozen=True)
class Staged:
    """A tenant's new state, durable in a staging directory (None in memory), not in place;
    `replaces` is what stood for the tenant when the operation began (`Store.current`);
    `storage`, its rows in a database (sandbox/store/postgres.py), if it is kept in one."""

    name: str
    data: TenantData
    directory: Path | None
    replaces: Current
    storage: str | None = None


class Store:
    """The tenants of one data directory, holding the collections `specs` (the app's vendors',
    sandbox/catalog.py; the store adds its own). A tenant's keyring carries each vendor's
    credentials as fields; `credential_fields`, the ones a request is authenticated by, are
    indexed for an O(1) lookup. `incarnation` tells a re-created tenant from the one deleted
    before it. The store knows collections, not vendors."""

    def __init__(
        self,
        settings: Settings,
        specs: Iterable[CollectionSpec] = (),
        credential_fields: Iterable[str] = (),
        listener: TenantListener | None = None,
    ) -> None:
        self.settings = settings
        # hears each recorded message and each tenant changed (the app's event bus): `listen`
        self.listener: TenantListener | None = None
        self.specs: tuple[CollectionSpec, ...] = base_collections.all_specs(specs)
        self.credential_fields = tuple(credential_fields)
        self.root = settings.data_dir
        self.journals = OpenJournals(_journals_open())
        self.tenants: dict[str, TenantData] = {}
        self.keyrings: dict[str, Doc] = {}
        self.degraded: dict[str, Degraded] = {}
        self._index: dict[str, dict[str, str]] = {field: {} for field in self.credential_fields}
        # vendor -> credential already verified -> tenant name; cleared whenever tenants
        # change (one dict per vendor: a lookup builds no key)
        self.verified: dict[str, dict[str, str]] = {}
        self._lock: int | None = None
        self._secret = secrets.token_bytes(32)
        # the tenants kept in PostgreSQL (`--database-url`) instead of a data directory
        self.database: Registry | None = None
        self._storages: dict[str, str] = {}  # tenant -> its rows' `storage` in the database
        self._named: dict[str, str] = {}  # and back
        self._unwatch: Callable[[], None] | None = None  # stops `watch`
        self._told: set[asyncio.Future[None]] = set()  # catch-ups a NOTIFY started
        if settings.database_url is not None:
            self.root = None
            self.database = Registry(settings.database_url, self.credential_fields)
            self._open_database(self.database)
        elif self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = lock_directory(self.root)
            self._open_directory(self.root)
        if listener is not None:
            self.listen(listener)

    def listen(self, listener: TenantListener) -> None:
        """From now on `listener` hears each recorded message and each tenant changed; it is
        told at once of each tenant there is (one loaded from the data directory may have a
        webhook)."""
        self.listener = listener
        for name, data in self.tenants.items():
            data.listener = listener
            listener.tenant_changed(name)

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """In a database: from now on, as soon as another process appends to a tenant someone
        listens to (an event stream, a webhook), catch it up on `loop`, so its streams hear
        the message then, not at the tenant's next request (LISTEN/NOTIFY: the database tells
        each appended row at its commit; rows this process appended, or caught up, cost
        nothing)."""
        if self.database is None or self._unwatch is not None:
            return

        def told(storage: str, seq: int) -> None:  # (the listening thread)
            with suppress(RuntimeError):  # the loop is closed (an in-process app's may be)
                loop.call_soon_threadsafe(self._appended, storage, seq)

        self._unwatch = self.database.watch(told)

    def _appended(self, storage: str, seq: int) -> None:
        name = self._named.get(storage)
        data = None if name is None else self.tenants.get(name)
        if data is not None and isinstance(data.backend, TenantRows):
            data.backend.heard = max(data.backend.heard, seq)  # (`presumed`: catch up first)
        listener = self.listener
        if data is None or listener is None or data.name not in listener.tenants:
            return
        if isinstance(data.backend, TenantRows) and data.backend.seq >= seq:
            return  # (appended here, or caught up already)
        told = asyncio.ensure_future(self._catch_up_told(data))
        self._told.add(told)  # (held until it ends: the loop keeps only a weak reference)
        told.add_done_callback(self._told.discard)

    async def _catch_up_told(self, data: TenantData) -> None:
        try:
            await self.caught_up(data)
        except StorageUnavailable as exc:  # the next request of the tenant tries again
            log.warning("tenant %s: not caught up (%s)", data.name, exc.message)

    # reads ---------------------------------------------------------------------------------
    def get(self, name: str) -> TenantData | None:
        """The tenant; StorageUnavailable (503) if it is quarantined. In a database, a name
        this process does not know is looked up (another process may have created it)."""
        data = self.tenants.get(name)
        if data is None:
            if name in self.degraded:
                raise self.degraded[name].error()
            if self.database is not None:
                return self._look_up(name)
        return data

    async def fresh(self, name: str) -> TenantData | None:
        """`get`, brought up to what other processes wrote (`caught_up`), once every unit of
        it in flight here is stored (`settled`): for what reads a tenant outside the request
        path (its web pages, its event stream)."""
        data = self.get(name)
        found = None if data is None else await self.caught_up(data)
        waiting = None if found is None else self.settled(found)
        if waiting is not None:
            await waiting
        return found

    def held(self, lock: bool) -> AbstractContextManager[None]:
        """With `lock` and a database, a transaction held across the block
        (`Database.held`): a `catch_up(..., lock=True)` in it keeps the tenant's appends to
        this process until its next append (or the block's end). Else nothing."""
        if not lock or self.database is None:
            return nullcontext()
        return self.database.database.held()

    def catch_up(self, data: TenantData, lock: bool = False) -> TenantData | None:
        """Tenant `data` brought up to what other processes wrote to it (one round trip in a
        database, on this thread; nothing on the embedded store): the tenant as it is now,
        `data` itself, the state another process put in its place (a replace or reset:
        loaded), or None (deleted elsewhere). A webhook set elsewhere is announced. With
        units of this process in flight, nothing (TenantRows.catch_up): `caught_up` is the
        request path's."""
        if self.database is None:
            return data
        return self._brought_up(data, lambda: data.catch_up(lock))

    async def caught_up(self, data: TenantData) -> TenantData | None:
        """`catch_up`, by the group commit's next cycle (sandbox/store/committer.py): its read
        is sent after this call, shared with the other requests of the tenant that ask before
        the cycle starts, and applied after that cycle's writes are settled."""
        backend = data.backend
        if not isinstance(backend, TenantRows) or backend.committer is None:
            return self.catch_up(data)
        found: TenantData | None = await backend.committer.read(
            backend, lambda rows: self._brought_up(data, lambda: backend.apply(data, rows))
        )
        return found

    @staticmethod
    def presumed(data: TenantData) -> bool:
        """Whether a request may run on tenant `data` as this process holds it, its catch-up
        left to its commit (the head-guarded append refuses a unit made on a state that is
        behind: `RequestPath.attempt`): in a database with a group commit, unless another
        process was heard to append to it since (NOTIFY: its next request catches up
        first, as it would lose the race)."""
        backend = data.backend
        return (
            isinstance(backend, TenantRows)
            and backend.committer is not None
            and backend.heard <= backend.seq
        )

    @staticmethod
    def counts(data: TenantData) -> tuple[int, int]:
        """(units this process made of tenant `data`, times other processes' units were
        applied to it): counts that only grow, for `presumed` requests (in a database)."""
        backend = data.backend
        return (backend.made, backend.foreign) if isinstance(backend, TenantRows) else (0, 0)

    @staticmethod
    def in_flight(data: TenantData, collection: str) -> dict[Any, Doc | None]:
        """The documents of `collection` that units of tenant `data` not yet known to be
        stored have put (a database's group commit; none on the embedded store), each by its
        key with what is stored of it: the document before the first such unit (None: put
        new by one). For a reader not answered after them (an event stream's backlog)."""
        backend = data.backend
        if not isinstance(backend, TenantRows) or not backend.inflight:
            return {}
        stored: dict[Any, Doc | None] = {}
        for pending in backend.inflight:  # (oldest first: the first pre-image is stored)
            for owner, op, record in pending.undo:
                if owner is data and op[0] == "put" and op[1] == collection:
                    stored.setdefault(*Collection.replaced(record))
        return stored

    @staticmethod
    def settled(data: TenantData) -> Awaitable[None] | None:
        """What resolves once every unit of tenant `data` in memory now is stored (raising
        what refused one: Behind, StorageUnavailable); None: nothing in flight."""
        backend = data.backend
        return backend.settled() if isinstance(backend, TenantRows) else None

    @asynccontextmanager
    async def quiet(self, data: TenantData | None) -> AsyncIterator[None]:
        """The block runs once no unit of tenant `data` is in flight (the ones in flight
        settled, whatever became of them; no new one deferred meanwhile: a write appends
        at once, or, while others are in flight, is refused as Behind and runs again)."""
        backend = None if data is None else data.backend
        if not isinstance(backend, TenantRows):
            yield
            return
        backend.draining += 1
        try:
            waiting = backend.settled()
            while waiting is not None:
                with suppress(StorageUnavailable):
                    await waiting
                waiting = backend.settled()
            yield
        finally:
            backend.draining -= 1

    def _brought_up(self, data: TenantData, read: Callable[[], bool]) -> TenantData | None:
        """`catch_up`'s work, `read` bringing the state up (False: its storage is gone)."""
        meta = data.collections["meta"]
        settings = meta.get("settings")
        try:
            if not read():
                return self._look_up(data.name)
        except Damaged as exc:  # a unit this release cannot replay: quarantined, as at start
            self._uninstall(data.name)
            self._quarantine(data.name, exc, exc.path)
            self.announce(data.name)
            raise self.degraded[data.name].error() from None
        if meta.get("settings") is not settings:  # (documents are replaced, never changed)
            self.announce(data.name)
        return data

    def names(self) -> list[str]:
        """Every tenant's name, sorted; in a database, as it has them now (another process
        may have created or deleted some: one query)."""
        known = {*self.tenants, *self.degraded}
        if self.database is not None:
            known = {*self.database.names(), *self.degraded}
        return sorted(known)

    def exists(self, name: str) -> bool:
        return name in self.tenants or name in self.degraded

    def current(self, name: str) -> Current:
        """What stands for tenant `name` now. Every create, replace, reset and delete puts
        another object in its place (ordinary writes do not): an operation that replaces the
        tenant's state takes this when it begins, and `install` refuses it if it changed."""
        data = self.tenants.get(name)
        return data if data is not None else self.degraded.get(name)

    def keyring(self, name: str) -> Doc | None:
        return self.keyrings.get(name)

    @property
    def secret(self) -> bytes:
        """A random key kept in the data directory, so signed tokens survive restarts."""
        return self._secret

    def verified_tenant(self, vendor: str, credential: str) -> TenantData | None:
        """The tenant whose `credential` for `vendor` was checked before (O(1) per request;
        forgotten whenever the tenants change)."""
        known = self.verified.get(vendor)
        name = known.get(credential) if known is not None else None
        return None if name is None else self.tenants.get(name)

    def remember_verified(self, vendor: str, credential: str, tenant: TenantData) -> None:
        self.verified.setdefault(vendor, {})[credential] = tenant.name

    def find_by_credential(self, field: str, value: str) -> TenantData | None:
        """The tenant holding credential `value` (one query in a database when this process
        does not know it: another process may have created the tenant)."""
        name = self._index[field].get(value)
        if name is None and self.database is not None:
            name = self.database.named_by(field, value)
            found = None if name is None else self._look_up(name)
            return found if found is not None and self._index[field].get(value) == name else None
        return None if name is None else self.get(name)

    # writes --------------------------------------------------------------------------------
    def put_tenant(
        self, keyring: Doc, tables: Mapping[str, Iterable[Doc]], fixture: Doc | None = None
    ) -> TenantData:
        """Create or replace a tenant: its state becomes `tables`, its keyring `keyring`;
        `fixture` is kept (on disk) for resets. StorageUnavailable leaves everything as it was."""
        name = keyring["name"]
        return self.install(keyring, self.stage(name, tables, fixture, self.current(name)))

    def stage(
        self,
        name: str,
        tables: Mapping[str, Iterable[Doc]],
        fixture: Doc | None,
        replaces: Current,
    ) -> Staged:
        """The new state of tenant `name`, made durable under a staging name, to replace
        `replaces` (`current(name)` when the operation began); touches nothing any request
        sees, so it may run in a worker thread. `install` puts it in place, `discard` drops
        it; whatever stops it here leaves no staging directory."""
        staging = (
            None
            if self.root is None
            else self.root / "tenants" / f".staging-{name}-{secrets.token_hex(4)}"
        )
        rows = (
            None
            if self.database is None
            else self.database.backend(name, None, self.settings.compact_bytes)
        )
        data = self._new_tenant_data(name, staging, rows)
        new = Staged(name, data, staging, replaces, None if rows is None else rows.storage)
        try:
            new.data.initialise(tables, fixture or {})
        except BaseException:
            self.discard(new)
            raise
        return new

    def install(self, keyring: Doc, staged: Staged) -> TenantData:
        """Put a staged tenant in place of the current one (on the event loop thread). If
        another create, replace, reset or delete of the tenant was installed since `staged`
        began, a 409 (Conflict): nothing changes and the staged state is discarded, so an
        acknowledged replace or delete is never undone by an operation that started before
        it. Any failure discards it too."""
        name, data = staged.name, staged.data
        try:
            if self.current(name) is not staged.replaces:
                raise self._superseded(staged)
            if staged.directory is not None:
                write_checked_file(staged.directory / "tenant.json", "tenant", {"record": keyring})
                old = self.tenants.get(name)
                if old is not None:  # (its journal's writes done before the rename)
                    old.backend.wait()
                assert self.root is not None  # (a staged directory is in it)
                final = swap_in(self.root, name, staged.directory, name in self.degraded)
                files_of(data.backend).relocate(final)
            if (
                self.database is not None
                and staged.storage is not None
                and not self.database.install(
                    name, staged.storage, keyring, self._storages.get(name)
                )
            ):
                raise self._superseded(staged, elsewhere=True)
        except BaseException:
            self.discard(staged)
            raise
        self._install(keyring, data)
        if staged.storage is not None:
            self._place(name, staged.storage)
        self.announce(name)
        return data

    def discard(self, staged: Staged) -> None:
        """Drop a staged tenant that will not be installed: its files are removed."""
        staged.data.close()
        if staged.directory is not None:
            shutil.rmtree(staged.directory, ignore_errors=True)
        if self.database is not None and staged.storage is not None:
            try:
                self.database.discard(staged.storage)
            except StorageUnavailable as exc:  # rows no tenant names: harmless, left
                log.warning("tenant %s: staged rows not dropped (%s)", staged.name, exc.message)

    def _superseded(self, staged: Staged, elsewhere: bool = False) -> Conflict:
        now = self.current(staged.name)
        change = (
            "created, replaced, reset or deleted through another process"
            if elsewhere
            else "created"
            if staged.replaces is None
            else "deleted"
            if now is None
            else "replaced or reset"
        )
        return Conflict(
            f"tenant: {staged.name} was {change} by another request while this one "
            "was being prepared, so this request changed nothing; read the tenant again and "
            "send this request again if it should still apply",
            field="tenant",
        )

    def delete_tenant(self, name: str) -> bool:
        if not self.exists(name):
            return False
        data = self.tenants.get(name)
        if data is not None:
            data.close()
        if self.root is not None:
            move_out(self.root, name, name in self.degraded)
        if self.database is not None:
            self.database.delete(name)
            self._place(name, None)
        self._uninstall(name)
        self.announce(name)
        return True

    def announce(self, name: str) -> None:
        """Tell the listener tenant `name` changed: put in place, replaced, removed, or its
        settings written."""
        if self.listener is not None:
            self.listener.tenant_changed(name)

    def close(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
        for data in self.tenants.values():
            data.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        if self.database is not None:
            self.database.close()

    # internals: memory ---------------------------------------------------------------------
    def _install(self, keyring: Doc, data: TenantData) -> None:
        name = keyring["name"]
        self._uninstall(name)
        self.keyrings[name] = keyring
        for field in self.credential_fields:
            if keyring.get(field) is not None:
                self._index[field][keyring[field]] = name
        self.tenants[name] = data

    def _uninstall(self, name: str) -> None:
        self.verified.clear()
        old = self.tenants.pop(name, None)
        if old is not None:
            old.close()
        self.degraded.pop(name, None)
        keyring = self.keyrings.pop(name, None) or {}
        for field in self.credential_fields:
            value = keyring.get(field)
            if value is not None and self._index[field].get(value) == name:
                del self._index[field][value]

    def _new_tenant_data(
        self, name: str, directory: Path | None, rows: TenantRows | None = None
    ) -> TenantData:
        files: TenantFiles | TenantRows | None = rows
        if directory is not None:  # else in a database, or kept in memory only
            files = TenantFiles(
                name,
                directory,
                fsync=self.settings.fsync,
                compact_bytes=self.settings.compact_bytes,
                journals=self.journals,
            )
        return TenantData(
            name,
            self.specs,
            files,
            capacity=self.settings.outbox_retention,
            listener=self.listener,
        )

    # internals: the directory --------------------------------------------------------------
    def _open_directory(self, root: Path) -> None:
        old = legacy.read_registry(root)
        self._secret = server_secret(root, old.secret if old is not None else None)
        tenants = root / "tenants"
        tenants.mkdir(exist_ok=True)
        finish_interrupted_swaps(tenants)
        for directory in sorted(tenants.iterdir()):
            if directory.name.startswith(".") or not directory.is_dir():
                continue
            self._open_tenant(directory, old.keyrings if old is not None else None)
        if old is not None and old.keyrings:
            legacy.retire_registry(root)

    def _open_database(self, database: Registry) -> None:
        """Every tenant the database holds, loaded; one whose rows cannot be trusted is
        quarantined as a damaged directory is."""
        self._secret = database.secret()
        for name, storage, keyring in database.tenants():
            self._load_rows(database, name, storage, keyring)

    def _load_rows(
        self, database: Registry, name: str, storage: str, keyring: Doc
    ) -> TenantData | None:
        """Tenant `name` loaded from its rows `storage` and put in place of what this process
        had for it (None: quarantined, its rows cannot be trusted)."""
        rows = database.backend(name, storage, self.settings.compact_bytes)
        data = self._new_tenant_data(name, None, rows)
        self._place(name, storage)
        try:
            data.load()
        except Damaged as exc:
            data.close()
            self._install(keyring, data)
            self.tenants.pop(name, None)
            self._quarantine(name, exc, exc.path)
            return None
        self._install(keyring, data)
        return data

    def _place(self, name: str, storage: str | None) -> None:
        """Tenant `name`'s rows are `storage` now (None: it has none)."""
        old = self._storages.pop(name, None)
        if old is not None:
            self._named.pop(old, None)
        if storage is not None:
            self._storages[name] = storage
            self._named[storage] = name

    def _look_up(self, name: str) -> TenantData | None:
        """Tenant `name` as the database has it now, which another process may have created,
        replaced, reset or deleted: loaded and put in place (or removed), and announced."""
        assert self.database is not None
        found = self.database.tenant(name)
        if found is None:
            if self.exists(name):  # deleted elsewhere
                self._place(name, None)
                self._uninstall(name)
                self.announce(name)
            return None
        storage, keyring = found
        if self._storages.get(name) == storage and self.exists(name):  # the one in place
            return self.get(name)
        data = self._load_rows(self.database, name, storage, keyring)
        self.announce(name)
        if data is None:
            raise self.degraded[name].error()
        return data

    def _open_tenant(self, directory: Path, migrated: dict[str, Doc] | None) -> None:
        name = directory.name
        marker = directory / "tenant.json"
        try:
            if marker.exists():
                keyring = read_checked_file(marker, "tenant")["record"]
                if keyring.get("name") != name:
                    raise Damaged(marker, f"names tenant {keyring.get('name')!r}, not {name!r}")
            elif migrated is not None and name in migrated:
                keyring = legacy.upgraded_keyring(migrated[name])
                write_checked_file(marker, "tenant", {"record": keyring})
            else:
                log.warning(
                    "%s is not a tenant directory this server understands (no tenant.json, "
                    "no first-release registry keyring): left as it is",
                    directory,
                )
                self.degraded[name] = Degraded(
                    name, "no tenant.json: not loaded, left as it is", relative(marker, self.root)
                )
                return
        except (Damaged, StorageUnavailable) as exc:
            self._quarantine(name, exc, marker)
            return
        data = self._new_tenant_data(name, directory)
        try:
            data.load()
        except (Damaged, StorageUnavailable, OSError) as exc:
            data.close()
            self._install(keyring, data)
            self.tenants.pop(name, None)
            self._quarantine(name, exc, directory)
            return
        self._install(keyring, data)

    def _quarantine(self, name: str, exc: Exception, where: Path) -> None:
        path = exc.path if isinstance(exc, Damaged) else where
        problem = exc.problem if isinstance(exc, Damaged) else str(exc)
        self.degraded[name] = Degraded(name, problem, relative(path, self.root))
        log.error("tenant %s quarantined: %s: %s", name, path, problem)


def _journals_open() -> int:
    """How many journals may hold a file open: a quarter of this process's limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(JOURNALS_OPEN, soft // 4))
