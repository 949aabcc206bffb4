"""The ``kursk-tracker`` command line."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
from alembic import command
from alembic.config import Config as AlembicConfig
from pydantic import ValidationError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from app import models as _all_models  # noqa: F401  (every mapped class, the freshness events)
from app.accounts.models import Role
from app.config import PROJECT_ROOT, get_settings
from app.db import Database, sqlite_file
from app.faults import database_fault


class FaultsInWords(TyperGroup):
    """Every command: a database fault (disk full, read-only, …) is a sentence, not a traceback.

    Sub-commands (db, user) run inside this group's invoke, so none of them can forget it.
    """

    # Typer re-exports click under its own name; the Context is the same class at run time.
    def invoke(self, ctx: click.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)  # type: ignore[arg-type]
        except ValidationError as error:  # a setting (KT_...) that cannot be used
            for problem in error.errors():
                name = "KT_" + "_".join(str(part) for part in problem["loc"]).upper()
                message = str(problem["msg"]).removeprefix("Value error, ")
                typer.echo(f"error: {name} {message}", err=True)
            raise typer.Exit(2) from None
        except Exception as error:
            fault = database_fault(error)
            if fault is None:
                raise
            typer.echo(f"error: {fault.sentence(operator=True)}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=FaultsInWords,
    help="Kursk Control Tracker: who controls which settlement, since when.",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Editors, reviewers and admins.")
app.add_typer(user_app, name="user")
ROLE_HELP = "editor (submits), reviewer (also approves), admin (everything)"


def _database() -> Database:
    url = get_settings().database_url
    _require_existing(url)
    return Database(url)


def _require_existing(url: str) -> None:
    """A SQLite file that is not there is refused: opening it would create an empty one, and a
    mistyped path would "back up" or "copy" nothing and say it succeeded. Only ``db upgrade``
    creates the file."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        typer.echo(
            f"error: there is no database at {path}: check KT_DATABASE_URL, or create one "
            "with `kursk-tracker db upgrade`",
            err=True,
        )
        raise typer.Exit(1)


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the tables (alembic upgrade head)."""
    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"database is at the latest schema ({_redacted(settings.database_url)})")


@db_app.command("rederive")
def db_rederive() -> None:
    """Derive every settlement's status changes and publication days again from its claims.

    Once, after a rolling deploy in which servers of the older release took writes: those do
    not keep the derived tables a newer release added.
    """
    from app import freshness, revisions

    database = _database()
    try:
        with database.writing() as session:
            # First: the marks then carry the new revision, and every server's kept history
            # derives each settlement again (app/status/marks.py), not only its other caches.
            revisions.bump_everything(session)
            freshness.rederive_all(session, freshness.window_days())
    finally:
        database.dispose()
    typer.echo("status changes and publication days derived again for every settlement")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def seed(
    reference_only: Annotated[
        bool, typer.Option("--reference-only", help="Settlements and sources only, no claims.")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Load only into an empty database (an untouched older demo is still updated).",
        ),
    ] = False,
) -> None:
    """Load the demo data from data/ (running it twice adds nothing twice)."""
    from app.interchange.seed import SeedError, SeedOutcome, seed_demo

    settings = get_settings()
    database = _database()
    try:
        with database.writing() as session:
            result = seed_demo(
                session, settings.data_dir, if_empty=if_empty, reference_only=reference_only
            )
    except SeedError as error:
        typer.echo(f"seed failed, nothing stored:\n{error}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    summary = ", ".join(f"{n} {what}" for what, n in sorted(result.added.items()))
    match result.outcome:
        case SeedOutcome.not_empty:
            typer.echo("database already holds data; not seeding")
        case SeedOutcome.replaced_older_demo:
            typer.echo(f"replaced {result.replaced} with the demo data of data/: now {summary}")
        case SeedOutcome.older_demo_kept:
            typer.echo(
                "the demo data in this database is older than data/ and other rows were added "
                "to it, so it is left as it is; to start afresh, see 'Starting afresh' in README.md"
            )
        case _:
            typer.echo(f"seeded: {summary or 'nothing new'}")


def _read_password() -> str:
    """From a hidden prompt (asked twice), or from stdin when it is not a terminal."""
    if sys.stdin.isatty():
        return str(
            typer.prompt(
                "Password (12 characters or more)", hide_input=True, confirmation_prompt=True
            )
        )
    return sys.stdin.readline().rstrip("\r\n")


def _user_command(action: Callable[[Session], str]) -> None:
    from app.accounts.service import AccountError

    database = _database()
    try:
        with database.writing() as session:
            message = action(session)
    except AccountError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    typer.echo(message)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help=ROLE_HELP)] = Role.editor,
) -> None:
    """Create a user; the password is read from a prompt, or from stdin when piped."""
    from app.accounts import service as accounts_service

    password = _read_password()

    def create(session: Session) -> str:
        user = accounts_service.create_user(session, username, password, role)
        return f"created {user.username} ({role.value})"

    _user_command(create)


@user_app.command("deactivate")
def user_deactivate(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Deactivate a user: they can no longer log in, and their sessions end now."""
    from app.accounts import service as accounts_service

    def deactivate(session: Session) -> str:
        return f"deactivated {accounts_service.deactivate_user(session, username).username}"

    _user_command(deactivate)


@user_app.command("role")
def user_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Argument(help=ROLE_HELP)],
) -> None:
    """Change a user's role (takes effect on their next request)."""
    from app.accounts import service as accounts_service

    def change(session: Session) -> str:
        return f"{accounts_service.set_role(session, username, role).username} is now {role.value}"

    _user_command(change)


@user_app.command("password")
def user_password(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Set a new password (prompt or stdin); the user's sessions end."""
    from app.accounts import service as accounts_service

    password = _read_password()

    def change(session: Session) -> str:
        accounts_service.set_password(session, username, password)
        return f"new password set for {username}"

    _user_command(change)


@user_app.command("list")
def user_list() -> None:
    """List users with role and state."""
    from app.accounts import service as accounts_service

    database = _database()
    try:
        with database.read_session() as session:
            for user in accounts_service.list_users(session):
                state = "active" if user.active else "deactivated"
                typer.echo(f"{user.username}\t{user.role.value}\t{state}")
    finally:
        database.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the tracker with uvicorn."""
    import uvicorn

    get_settings()  # a setting that cannot be used is said here, not in a worker's traceback

    if reload:
        # Templates are read once per process otherwise (app/templating.py).
        os.environ["KT_RELOAD_TEMPLATES"] = "true"
    typer.echo(f"Kursk Control Tracker on http://{host}:{port}/")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        server_header=False,
        # Longer than the 5 s default: a proxy or a browser reusing a quiet connection
        # should not find it closed under it.
        timeout_keep_alive=30,
    )


@app.command()
def export(
    what: Annotated[
        str, typer.Argument(help="claims, settlements, status, sources or area-figures")
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date (YYYY-MM-DD): status on it; claims up to it."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write; default stdout.")
    ] = None,
    settlement: Annotated[str | None, typer.Option(help="claims: one settlement (slug)")] = None,
    source: Annotated[str | None, typer.Option(help="claims: one source (slug)")] = None,
    side: Annotated[str | None, typer.Option(help="claims: russia, ukraine or neutral")] = None,
    status: Annotated[str | None, typer.Option(help="claims and status: one status")] = None,
    verification: Annotated[str | None, typer.Option(help="claims: one verification")] = None,
    since: Annotated[
        str | None, typer.Option(help="claims: as_of on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="claims: as_of on or before (YYYY-MM-DD)")
    ] = None,
    district: Annotated[str | None, typer.Option(help="claims and status: one district")] = None,
    known_on: Annotated[
        str | None,
        typer.Option(
            "--known-on",
            help="status: count only claims published by this date; claims: only those "
            "published by then (YYYY-MM-DD); default: everything known now.",
        ),
    ] = None,
    export_format: Annotated[
        str,
        typer.Option("--format", help="csv (UTF-8, commas) or excel (UTF-16 with BOM, tabs)"),
    ] = "csv",
) -> None:
    """Write a CSV export to stdout or a file, with the same filters as the web exports."""
    from app.filters import ClaimFilters, FilterError, StatusFilters, enum_param
    from app.interchange import exports

    if what not in exports.EXPORTS:
        typer.echo(f"unknown export {what!r}: choose one of {', '.join(exports.EXPORTS)}", err=True)
        raise typer.Exit(2)
    try:
        if what == "claims":
            filters: ClaimFilters | StatusFilters | None = ClaimFilters.parse(
                settlement=settlement,
                source=source,
                side=side,
                status=status,
                verification=verification,
                since=since,
                until=until,
                as_of=as_of,
                district=district,
                known_on=known_on,
            )
        elif what == "status":
            filters = StatusFilters.parse(
                as_of=as_of, known_on=known_on, district=district, status=status
            )
        else:
            filters = None
        chosen = enum_param("format", export_format, exports.ExportFormat)
    except FilterError as error:
        typer.echo(f"--{error.field.replace('_', '-')}: {error.message}", err=True)
        raise typer.Exit(2) from None
    database = _database()
    try:
        with database.read_session() as session:
            filters = filters.checked(session) if filters is not None else None
    except FilterError as error:
        database.dispose()
        typer.echo(f"--{error.field.replace('_', '-')}: {error.message}", err=True)
        raise typer.Exit(2) from None
    try:
        chunks = exports.in_format(
            exports.EXPORTS[what](database, get_settings(), filters),
            chosen or exports.ExportFormat.csv,
        )
        if output is None:
            out = typer.get_binary_stream("stdout")
            for chunk in chunks:
                out.write(chunk)
            out.flush()
        else:
            _write_file(output, chunks)
    finally:
        database.dispose()


def _write_file(output: Path, chunks: Iterable[bytes]) -> None:
    """Write an export to a file; on a full disk (or any failure) leave no half-written file.

    Written beside it under a temporary name and renamed at the end: an export killed midway
    (SIGTERM) leaves the file that was there, or none, never a truncated one that would pass
    for a whole export. A device or a pipe (/dev/stdout) is written as it is.
    """
    if output.exists() and not output.is_file():
        _write_chunks(output, output, chunks)
        return
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    _write_chunks(partial, output, chunks)
    try:
        os.replace(partial, output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        _cannot_write(output, error)


def _write_chunks(path: Path, output: Path, chunks: Iterable[bytes]) -> None:
    try:
        f = path.open("wb")
    except OSError as error:
        _cannot_write(output, error)
    try:
        with f:
            for chunk in chunks:
                f.write(chunk)
    except BaseException as error:
        if path.is_file():
            path.unlink()  # a truncated CSV would pass for a whole one
        if isinstance(error, OSError):
            _cannot_write(output, error)
        raise


def _cannot_write(output: Path, error: OSError) -> NoReturn:
    reason = "the disk is full" if error.errno == errno.ENOSPC else error.strerror or str(error)
    typer.echo(f"error: {output} could not be written ({reason}); no file was left.", err=True)
    raise typer.Exit(1) from None


IMPORT_KINDS = "claims, settlements, sources or area-figures"


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="A claims, settlements, sources or area figures CSV (as the exports write them)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; store nothing.")
    ] = False,
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="Act as admin: claims are stored approved, sources public; area figures need it.",
        ),
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"What the file holds: {IMPORT_KINDS} (default: its header)."),
    ] = None,
) -> None:
    """Import a CSV file: every row is checked; one bad row and nothing is stored.

    The file is read a row at a time, so a file of a million claims needs no more memory
    than a small one.
    """
    from app.interchange.importer import (
        MAX_PROBLEMS_SHOWN,
        FileKind,
        ImportRefused,
        commit_import,
        plan_import,
    )

    chosen = None
    if kind is not None:
        try:
            chosen = FileKind(kind.replace("-", "_"))
        except ValueError:
            typer.echo(f"--kind: {kind!r} is not one of {IMPORT_KINDS}", err=True)
            raise typer.Exit(2) from None
    try:
        with file.open("rb"):
            pass
    except OSError as error:
        typer.echo(f"cannot read {file}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    database = _database()
    bounds = get_settings().region_bounds
    try:
        if dry_run:
            with database.read_session() as session:
                plan = plan_import(session, file, region_bounds=bounds, kind=chosen)
        else:
            try:
                with database.writing() as session:
                    plan = commit_import(
                        session,
                        file,
                        user=None,
                        approve=approve,
                        filename=file.name,
                        region_bounds=bounds,
                        kind=chosen,
                    )
            except ImportRefused as refused:
                plan = refused.plan
    finally:
        database.dispose()
    for warning in plan.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for problem in plan.problems:
        column = f", column {problem.column}" if problem.column else ""
        value = f" (was {problem.value!r})" if problem.value else ""
        typer.echo(f"{file.name}: line {problem.line}{column}: {problem.reason}{value}", err=True)
    if plan.problem_count > len(plan.problems):
        typer.echo(
            f"… and {plan.problem_count - len(plan.problems):,} more problem(s) "
            f"(the first {MAX_PROBLEMS_SHOWN:,} are listed)",
            err=True,
        )
    for skipped in plan.skipped:
        typer.echo(f"{file.name}: line {skipped.line}: skipped, {skipped.reason}", err=True)
    if plan.skipped_count > len(plan.skipped):
        typer.echo(
            f"… and {plan.skipped_count - len(plan.skipped):,} more skipped row(s)", err=True
        )
    what = plan.kind.value.replace("_", " ") if plan.kind else "rows"
    if not plan.ok:
        typer.echo(
            f"refused: {plan.refused_rows} bad row(s) of {plan.rows}; nothing was stored", err=True
        )
        _echo_good_rows(plan)
        raise typer.Exit(1)
    verb = "would add" if dry_run else "added"
    state = {
        FileKind.claims: " (approved)" if approve else " (pending review)",
        FileKind.sources: "" if approve else " (hidden until one of their claims is approved)",
    }.get(plan.kind or FileKind.claims, "")
    typer.echo(
        f"{verb} {plan.added} {what}{state}, updated {len(plan.update)}, "
        f"skipped {plan.skipped_count} duplicate(s), of {plan.rows} row(s)"
    )


@app.command("copy")
def copy_command(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="SQLAlchemy URL of the new, empty database, e.g. "
            "postgresql://user:pass@host/kursk",
        ),
    ],
) -> None:
    """Copy this whole tracker (KT_DATABASE_URL) into another database, ids and all.

    The target is migrated first and must hold no rows; it gets every table's rows in one
    transaction (a failure leaves it as it was), then PostgreSQL's id sequences are reset.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from app.interchange.copying import CopyRefused, copy_tracker

    settings = get_settings()
    source_url = settings.database_url
    try:
        # The same driver choice as KT_DATABASE_URL's (postgresql:// means psycopg 3).
        target = type(settings)(database_url=to).database_url
        make_url(target)
    except (ArgumentError, ValueError):
        typer.echo(f"--to: {to!r} is not a database URL (e.g. postgresql://host/kursk)", err=True)
        raise typer.Exit(2) from None
    if make_url(source_url) == make_url(target):
        typer.echo("--to: the target is the database being copied", err=True)
        raise typer.Exit(2)
    _require_existing(source_url)
    upgrade_database(source_url)  # reads it with today's schema
    upgrade_database(target)
    source_db, target_db = Database(source_url), Database(target)
    try:
        copied = copy_tracker(
            source_db.engine,
            target_db.engine,
            lambda table, rows: typer.echo(f"{table}: {rows:,} row(s)"),
        )
    except CopyRefused as refused:
        typer.echo(f"refused: {refused}; nothing was copied", err=True)
        raise typer.Exit(1) from None
    finally:
        source_db.dispose()
        target_db.dispose()
    typer.echo(
        f"copied {sum(copied.values()):,} rows of {len(copied)} tables from "
        f"{_redacted(source_url)} to {_redacted(target)}"
    )


# Good rows of a refused file listed on the command line; the count says how many in all.
PREVIEW_LINES = 10


def _echo_good_rows(plan: Any) -> None:
    """What a refused file would store once its bad rows are fixed: the count and the first."""
    summary = plan.summary()
    if not summary["added"]:
        return
    typer.echo(
        f"good rows: {summary['added']:,} {summary['kind']} would be added once the bad rows "
        "are fixed",
        err=True,
    )
    for row in summary["preview"][:PREVIEW_LINES]:
        cells = [
            str(row[key])
            for key in ("settlement", "name", "status", "as_of", "source")
            if key in row
        ]
        where = f"line {row['line']}: " if "line" in row else ""
        typer.echo(f"  {where}{', '.join(cells)}", err=True)
    if summary["added"] > PREVIEW_LINES:
        typer.echo(f"  … and {summary['added'] - PREVIEW_LINES:,} more", err=True)


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="File to write the copy to.")]) -> None:
    """A consistent copy of the SQLite database, taken while it serves (online backup)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    database_url = get_settings().database_url
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        typer.echo(
            "backup copies SQLite files; for PostgreSQL use pg_dump, e.g.\n"
            f"  pg_dump --format=custom --file={path} '{_redacted(str(url))}'",
            err=True,
        )
        raise typer.Exit(2)
    if path.exists():
        typer.echo(f"{path} exists: choose a new file name", err=True)
        raise typer.Exit(2)
    _require_existing(database_url)
    source = sqlite3.connect(sqlite_file(database_url) or "")
    target = sqlite3.connect(path)
    try:
        # In one step: a copy of one moment, while writers go on (WAL lets them).
        with target:
            source.backup(target)
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        source.close()
        target.close()
    if check != "ok":
        typer.echo(f"the copy failed its integrity check: {check}", err=True)
        raise typer.Exit(1)
    typer.echo(f"backed up to {path} (integrity check: ok)")


if __name__ == "__main__":
    app()
