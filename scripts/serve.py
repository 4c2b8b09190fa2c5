#!/usr/bin/env python3
"""`make serve`: the production processes of the Procfile on this machine, one command.

Creates the PostgreSQL database when it is missing, migrates and seeds it, starts web
(gunicorn), worker and beat (Celery on Redis), waits until /readyz answers 200, says where
it serves, and stops every process on Ctrl-C (or when one of them dies). The tests start
the same stack through `Stack` (tests/core/test_stack.py).

In production systemd runs these processes (deploy/systemd/); this script is for one
machine. Settings come from the environment, with these defaults for `make serve`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/winet",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "WINET_BIND": "127.0.0.1:8000",
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "WEB_CONCURRENCY": "2",
    "CELERY_CONCURRENCY": "2",
    "MAIL_BACKEND": "file",
    "FLASK_APP": "app:create_app",
}
STOP_SECONDS = 20.0


class StackFailed(RuntimeError):
    """A process of the stack ended, or the stack did not become ready in time."""


def read_procfile(path: Path) -> dict[str, str]:
    """`name: command` lines, in order; blank lines and # comments are skipped."""
    entries = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line.strip())
        if not match:
            raise ValueError(f"{path}:{number}: not a `name: command` line")
        entries[match.group(1)] = match.group(2)
    return entries


class Process:
    """One Procfile entry: started through the shell (for ${VAR:-default}), its output
    echoed with a prefix and kept."""

    def __init__(self, name: str, command: str, width: int):
        self.name = name
        self.command = command
        self.prefix = f"{name:<{width}} | "
        self.lines: list[str] = []
        self.popen: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None

    def start(self, env: Mapping[str, str], cwd: Path, echo: bool) -> None:
        # Its own session: Ctrl-C reaches only the supervisor, which then stops each
        # process in order (gunicorn and Celery shut down gracefully on SIGTERM).
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {self.command}"],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read, args=(echo,), daemon=True)
        self.reader.start()

    def _read(self, echo: bool) -> None:
        for line in self.popen.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if echo:
                sys.stdout.write(self.prefix + line + "\n")
                sys.stdout.flush()

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def terminate(self) -> None:
        if self.returncode is None:
            self.popen.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """The whole process group: Celery's pool children and gunicorn's workers too."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)


class Stack:
    """The Procfile's processes, started together and stopped together."""

    def __init__(
        self,
        entries: Mapping[str, str],
        env: Mapping[str, str],
        cwd: Path = ROOT,
        echo: bool = True,
    ):
        width = max(len(name) for name in entries)
        self.processes = {name: Process(name, command, width) for name, command in entries.items()}
        self.env = env
        self.cwd = cwd
        self.echo = echo

    def start(self) -> Stack:
        for process in self.processes.values():
            process.start(self.env, self.cwd, self.echo)
        return self

    def ended(self) -> dict[str, int]:
        return {
            name: process.returncode
            for name, process in self.processes.items()
            if process.returncode is not None
        }

    def wait_ready(self, url: str, timeout: float = 90.0) -> None:
        """Until `url` answers 200; raises StackFailed when a process ends or time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = self.ended()
            if ended:
                raise StackFailed(f"ended before the stack was ready: {ended}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise StackFailed(f"{url} did not answer 200 within {timeout:.0f} s")

    def stop(self, timeout: float = STOP_SECONDS) -> dict[str, int]:
        """SIGTERM to each, wait, SIGKILL what is left; returns each exit code."""
        for process in self.processes.values():
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            if process.popen is None:
                continue
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.popen.wait()
            process.kill()  # leftovers of its group (none after a clean stop)
            if process.reader is not None:
                process.reader.join(timeout=5)
        return {name: process.returncode for name, process in self.processes.items()}

    def output(self, name: str) -> list[str]:
        return list(self.processes[name].lines)


def ready_url(env: Mapping[str, str]) -> str:
    host, _, port = env["WINET_BIND"].rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` when it does not exist yet."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        return
    admin = parsed.set(drivername="postgresql", database="postgres", query={})
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database))
            )
            print(f"Created the database {parsed.database}.")


def prepare(env: Mapping[str, str], demo: bool) -> None:
    """Migrate every branch and seed the reference data (and the demo data if asked)."""
    commands = [["flask", "db", "upgrade", "heads"], ["flask", "seed"]]
    if demo:
        commands.append(["flask", "demo", "load"])
    for command in commands:
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env=dict(env), check=True)


def environment(base: Mapping[str, str]) -> dict[str, str]:
    env = {**DEFAULTS, **base}
    # The virtualenv's gunicorn, celery and flask, whichever python runs this script.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--demo", action="store_true", help="also load the demo data")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate and seed")
    args = parser.parse_args(argv)
    env = environment(os.environ)
    # Ctrl-C and SIGTERM both end in the `finally` below, which stops every process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not args.no_prepare:
            ensure_database(env["DATABASE_URL"])
            prepare(env, args.demo)
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"Preparing failed: {error}", file=sys.stderr)
        return 1
    stack = Stack(read_procfile(args.procfile), env)
    base = ready_url(env)
    try:
        stack.start()
        stack.wait_ready(base + "/readyz")
        names = ", ".join(stack.processes)
        print(
            f"\nServing on {base} ({names}); health {base}/readyz, metrics {base}/metrics.\n"
            "Ctrl-C stops every process.\n",
            flush=True,
        )
        while not stack.ended():
            time.sleep(0.5)
        print(f"A process ended: {stack.ended()}; stopping the others.", file=sys.stderr)
        return 1
    except StackFailed as error:
        print(f"The stack did not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping: " + ", ".join(stack.processes), flush=True)
        codes = stack.stop()
        print("Stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()))


if __name__ == "__main__":
    sys.exit(main())
