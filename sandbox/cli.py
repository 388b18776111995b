"""comms-sandbox: a local, stateful sandbox of messaging APIs (Capillary, Messangi, Symplify)
that shows who must not receive a message, and why.

`comms-sandbox serve` runs it; `tenants`, `outbox` and `snapshot` talk to a running one."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from sandbox import CONTROL_PREFIX, __version__, filter_choices
from sandbox.errors import StorageUnavailable
from sandbox.outbox_filters import FILTERS
from sandbox.settings import Settings

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_DATA_DIR = ".data"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="comms-sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"comms-sandbox {__version__}")
    _connection_options(parser, None)
    commands = parser.add_subparsers(dest="command", required=True)
    _client_commands(commands)
    serve = commands.add_parser(
        "serve",
        help="serve the sandbox over HTTP",
        description="Serve the sandbox over HTTP. Its state persists in --data-dir (default "
        f"$DATA_DIR, else {DEFAULT_DATA_DIR}/ in the working directory), a journal and "
        "snapshots per tenant, kept across restarts.",
    )
    serve.add_argument("--host", help="bind address (default 127.0.0.1, env HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, env PORT)")
    serve.add_argument(
        "--data-dir",
        type=Path,
        help=f"where state persists (default $DATA_DIR, else ./{DEFAULT_DATA_DIR} in the "
        "working directory)",
    )
    serve.add_argument(
        "--database-url",
        help="keep the tenants in PostgreSQL (postgresql://user@host:port/database; env "
        "SANDBOX_DATABASE_URL; needs comms-sandbox[postgres]) instead of --data-dir",
    )
    serve.add_argument("--fsync", action="store_true", help="fsync every acknowledged write")
    serve.add_argument(
        "--outbox-retention", type=int, help="messages kept per tenant (default 10000)"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--allowed-host",
        action="append",
        dest="allowed_hosts",
        metavar="HOST",
        help="a Host name the control plane also answers to, besides loopback and the bind "
        "address (repeatable; * for any; env SANDBOX_ALLOWED_HOSTS, comma-separated)",
    )
    serve.add_argument(
        "--control-token",
        default=argparse.SUPPRESS,  # the one given before the command, if any
        help="require Authorization: Bearer TOKEN on the control plane (env SANDBOX_CONTROL_TOKEN)",
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto (when served behind a reverse proxy)",
    )
    args = parser.parse_args(argv)
    if args.command != "serve":
        sys.exit(quiet_on_closed_pipe(_run_client, args))

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        database_url=args.database_url,
        fsync=args.fsync or None,
        outbox_retention=args.outbox_retention,
        allowed_hosts=tuple(args.allowed_hosts) if args.allowed_hosts else None,
        control_token=args.control_token,
    )
    if settings.data_dir is None and settings.database_url is None:  # the server persists
        settings = replace(settings, data_dir=Path(DEFAULT_DATA_DIR))

    import uvicorn

    from sandbox import guarded_http
    from sandbox.app import create_app

    files = raise_open_file_limit()
    warn_if_exposed(settings)
    try:
        app = create_app(settings)
    except StorageUnavailable as exc:  # a database it cannot use: one line naming it
        sys.exit(f"comms-sandbox: {exc.message}")
    tune_gc()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="on",
        # a local sandbox is reached directly; X-Forwarded-* handling costs every request
        proxy_headers=args.proxy_headers,
        http=guarded_http.protocol(
            settings.max_head_bytes,
            settings.head_timeout,
            settings.body_timeout,
            max_connections=max(64, files - 2 * RESERVED_FILES),
        ),
        timeout_keep_alive=int(settings.keep_alive_timeout),
    )


def _connection_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--url and --control-token, given before the command or after it. The command's own
    copies default to SUPPRESS: argparse copies every attribute a subparser sets over the
    namespace the main parser filled, so a default there would undo a value given before the
    command. Unset, each is read from the environment when used (`_url`, `_token`)."""
    parser.add_argument(
        "--url",
        default=default,
        help=f"the running sandbox (default $SANDBOX_URL, else {DEFAULT_URL}; for health, "
        "else http://127.0.0.1:$PORT)",
    )
    parser.add_argument(
        "--control-token",
        default=default,
        help="the control plane's token, if the server requires one (default "
        "$SANDBOX_CONTROL_TOKEN)",
    )


def _client_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The commands that talk to a running sandbox's control plane."""
    common = argparse.ArgumentParser(add_help=False)
    _connection_options(common, argparse.SUPPRESS)
    commands.add_parser(
        "health",
        parents=[common],
        help="exit 0 when the sandbox answers its health check (for container HEALTHCHECKs)",
    )
    listing = commands.add_parser("tenants", parents=[common], help="list the tenants")
    listing.add_argument("--json", action="store_true", help="as a JSON array")
    outbox = commands.add_parser(
        "outbox",
        parents=[common],
        help="a tenant's outbox, a line per message with its status and reason",
    )
    outbox.add_argument("--tenant", default="demo", help="the tenant (default demo)")
    outbox.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="then print each new message as it is recorded (the tenant's event stream)",
    )
    outbox.add_argument("-n", "--lines", type=int, default=10, help="how many to show first (10)")
    outbox.add_argument(
        "--json", action="store_true", help="one JSON message per line ([] when none)"
    )
    # the outbox's filters (docs/contract.md section 4)
    only = outbox.add_argument_group(
        "filters", "the messages that match every filter given (values in any case)"
    )
    for name, meaning in FILTERS.items():
        filter_choices.add_filter(only, name, meaning)
    snapshot = commands.add_parser(
        "snapshot",
        parents=[common],
        help="save a tenant's whole state to a file, or load one into a tenant",
    )
    actions = snapshot.add_subparsers(dest="action", required=True)
    save = actions.add_parser("save", parents=[common], help="write TENANT's snapshot to FILE")
    save.add_argument("--tenant", required=True)
    save.add_argument("file", help="a .yaml/.yml (YAML) or other (JSON) path; - for stdout")
    load = actions.add_parser(
        "load",
        parents=[common],
        help="create TENANT from FILE, and print its credentials",
    )
    load.add_argument("--tenant", required=True, help="created, or replaced if it exists")
    load.add_argument("file", help="a snapshot or fixture document (YAML or JSON); - for stdin")
    load.add_argument(
        "--json", action="store_true", help="print the tenant and its credentials as JSON"
    )


def _url(args: argparse.Namespace, fallback: str = DEFAULT_URL) -> str:
    return str(args.url or os.environ.get("SANDBOX_URL") or fallback)


def _token(args: argparse.Namespace) -> str | None:
    return args.control_token or os.environ.get("SANDBOX_CONTROL_TOKEN") or None


def _run_client(args: argparse.Namespace) -> int:
    if args.command == "health":
        port = os.environ.get("PORT") or 8000
        return _health(_url(args, f"http://127.0.0.1:{port}"), _token(args))
    from sandbox import remote

    client = remote.Remote(_url(args), _token(args))
    try:
        if args.command == "tenants":
            remote.tenants(client, sys.stdout, args.json)
        elif args.command == "outbox":
            filters = {n: getattr(args, n) for n in FILTERS if getattr(args, n) is not None}
            remote.outbox(
                client,
                args.tenant,
                sys.stdout,
                last=args.lines,
                follow=args.follow,
                as_json=args.json,
                filters=filters,
            )
        elif args.action == "save":
            remote.snapshot_save(client, args.tenant, args.file, sys.stdout)
        else:
            remote.snapshot_load(client, args.tenant, args.file, sys.stdout, as_json=args.json)
    except remote.Unreachable as exc:
        print(f"comms-sandbox: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # quiet_on_closed_pipe's
    except OSError as exc:
        print(f"comms-sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


# a process killed by SIGPIPE reports 128 + 13 in a shell, as `yes | head -1` does
CLOSED_PIPE = 141


def quiet_on_closed_pipe(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """`run(args)`, ended quietly when whoever reads stdout stops (`| head -1`): exit 141, as
    a tool the SIGPIPE signal ends, with no traceback; on Ctrl-C, exit 130 with none either.
    The standard library's recipe (signal module, "Note on SIGPIPE"): the output still
    buffered is dropped by pointing stdout at /dev/null, so that the flush at exit fails no
    more."""
    try:
        code = run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return CLOSED_PIPE
    except KeyboardInterrupt:
        return 130
    return code


def _health(url: str, token: str | None) -> int:
    """0 when `url` answers GET /_sandbox/health with 200, else 1 (and says why on stderr).
    A container runs this every few seconds: the standard library only, no httpx import."""
    import urllib.request

    request = urllib.request.Request(f"{url.rstrip('/')}{CONTROL_PREFIX}/health")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=3) as answer:
            answer.read()
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
        print(f"comms-sandbox: unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    return 0


def warn_if_exposed(settings: Settings) -> None:
    """Bound beyond loopback with no token: anyone who reaches the port may read every
    tenant's credentials and outbox and change any tenant. Say so."""
    from sandbox.control.guard import LOOPBACK, host_name

    if host_name(settings.host) not in LOOPBACK and not settings.control_token:
        logging.getLogger("sandbox").warning(
            "listening on %s without a control token: anyone who can reach port %d can read "
            "every tenant's credentials and outbox and change or delete any tenant; set "
            "--control-token (or SANDBOX_CONTROL_TOKEN), or bind to 127.0.0.1",
            settings.host,
            settings.port,
        )


# file descriptors kept for journals, snapshots and the listening socket (see guarded_http)
RESERVED_FILES = 128


def raise_open_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit (often 1,024 -> 1,048,576),
    and say so: connections and tenant journals share it. Returns the limit now in force."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            logging.getLogger("sandbox").info(
                "raised the open-file limit from %d to %d", soft, target
            )
            return target
        except (ValueError, OSError) as exc:
            logging.getLogger("sandbox").warning("could not raise the open-file limit: %s", exc)
    return soft


def tune_gc() -> None:
    """State loaded at start-up lives as long as the server: move it out of the cyclic
    collector's sight (gc.freeze), and collect the young generation less often. Stored
    documents hold no reference cycles; without this, full collections over a large tenant
    pause requests and cost ~10% of throughput (measured with bench/)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 10)


if __name__ == "__main__":
    main()
