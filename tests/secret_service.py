"""A private, real Secret Service (gnome-keyring on its own D-Bus session bus) for tests.

`secret_service()` is what ``dbus-run-session -- sh -c 'echo PW | gnome-keyring-daemon
--unlock ...'`` does, with the processes under our control: ``dbus-daemon`` and a
``gnome-keyring-daemon --foreground`` run as children of the test process in one
new process group, with their own ``XDG_*`` folders and a bus socket inside them.
It waits until ``org.freedesktop.secrets`` is owned on that bus, then yields the
environment a client needs. On exit it stops both, kills whatever else runs in
the group or with the private ``XDG_RUNTIME_DIR`` (a D-Bus-activated prompter, a
daemonized keyring), reaps its children (so no zombie is left for init), and
fails if anything survives.

``dbus-run-session`` itself is not used: it does not wait for the ``dbus-daemon``
it kills, and the ``gnome-keyring-daemon`` it starts daemonizes away from it, so
both would be left as zombies of the container's init.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from tests.conftest import PASSWORD, require_tool

__all__ = [
    "KEYRING_BACKEND",
    "TOOLS",
    "live_processes",
    "run_tool",
    "secret_service",
    "stored_items",
]

TOOLS = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
KEYRING_BACKEND = "keyring.backends.SecretService.Keyring"
SECRETS_BUS_NAME = "org.freedesktop.secrets"
# Guards against a hang, never a timing assertion: start-up takes a few ms.
GUARD = 30.0


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is not installed"
    return path


def run_tool(
    args: list[str], env: Mapping[str, str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a system tool (found on PATH) with *env* laid over this process's environment."""
    return subprocess.run(
        [_tool(args[0]), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=GUARD,
        check=False,
    )


def stored_items(env: Mapping[str, str], service: str) -> list[str]:
    """The D-Bus paths of every item (locked or not) whose ``service`` attribute is *service*."""
    found = run_tool(["secret-tool", "search", "--all", "service", service], env)
    # secret-tool prints "[/path]" and the secret on stdout, the attributes on stderr.
    return [line.strip("[]") for line in found.stdout.splitlines() if line.startswith("[/")]


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _stat(pid: int) -> tuple[str, int] | None:
    """Return (state, process group) of *pid*, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[2])


def live_processes(runtime_dir: Path, group: int | None = None) -> list[int]:
    """Every live process of a test Secret Service: in *group*, or using *runtime_dir*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None or stat[0] in {"Z", "X"}:
            continue
        if stat[1] == group or _environ(pid).get("XDG_RUNTIME_DIR") == str(runtime_dir):
            found.append(pid)
    return found


def _stop(children: list[subprocess.Popen[bytes]], runtime_dir: Path) -> None:
    """Stop the children gently, then kill anything of ours that is left; fail if it survives."""
    group = children[0].pid
    for child in reversed(children):  # the keyring first, so it never sees its bus vanish
        with suppress(ProcessLookupError):
            child.terminate()
        try:
            child.wait(timeout=GUARD)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=GUARD)
    deadline = time.monotonic() + GUARD
    while leftovers := live_processes(runtime_dir, group):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        for pid in leftovers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of the test Secret Service survived: {leftovers}")
        time.sleep(0.01)


def _read_line(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(GUARD)
    line = process.stdout.readline().decode().strip() if ready else ""
    if not line:
        raise RuntimeError(f"dbus-daemon printed no bus address (exit status {process.poll()})")
    return line


def _wait_for_owner(address: str, keyring: subprocess.Popen[bytes]) -> None:
    """Wait until the keyring owns ``org.freedesktop.secrets`` (asking never activates one)."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    deadline = time.monotonic() + GUARD
    with closing(open_dbus_connection(bus=address)) as connection:
        bus = Proxy(message_bus, connection)
        while not bus.NameHasOwner(SECRETS_BUS_NAME)[0]:
            if keyring.poll() is not None:
                raise RuntimeError(f"gnome-keyring-daemon exited with {keyring.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gnome-keyring-daemon never took {SECRETS_BUS_NAME}")
            time.sleep(0.005)


@contextmanager
def secret_service(
    base: Path, *, unlock: bool = True, password: str = PASSWORD
) -> Iterator[dict[str, str]]:
    """Run a private gnome-keyring Secret Service; yield the environment that reaches it.

    *base* holds the keyrings (``XDG_DATA_HOME``), the sockets (``XDG_RUNTIME_DIR``)
    and the bus; reuse it to restart a daemon over the same keyrings. With
    *unlock* the login keyring is created (or unlocked) with *password*, as a
    desktop login does; without it the daemon starts with nothing unlocked.
    """
    require_tool(*TOOLS)
    folders = {
        "XDG_DATA_HOME": base / "data",
        "XDG_CONFIG_HOME": base / "config",
        "XDG_CACHE_HOME": base / "cache",
        "XDG_RUNTIME_DIR": base / "run",
    }
    for folder in folders.values():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    env = {name: str(path) for name, path in folders.items()}
    socket = folders["XDG_RUNTIME_DIR"] / "bus"
    socket.unlink(missing_ok=True)
    # No display: gnome-keyring's prompter (gcr-prompter, D-Bus-activated) then exits at
    # once and the prompt is dismissed, instead of a dialog on a developer's screen.
    hidden = ("DBUS_", "GNOME_KEYRING", "DISPLAY", "WAYLAND_DISPLAY")
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(hidden)}
    child_env.update(env)
    children: list[subprocess.Popen[bytes]] = []
    try:
        bus_args = ["--session", "--nofork", "--print-address=1", f"--address=unix:path={socket}"]
        bus = subprocess.Popen(
            [_tool("dbus-daemon"), *bus_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a harmless "Failed to set fd limit"
            env=child_env,
            process_group=0,  # a new process group, which the keyring joins
        )
        children.append(bus)
        env["DBUS_SESSION_BUS_ADDRESS"] = _read_line(bus)
        child_env["DBUS_SESSION_BUS_ADDRESS"] = env["DBUS_SESSION_BUS_ADDRESS"]
        keyring_args = ["--foreground", "--components=secrets", *(["--unlock"] if unlock else [])]
        keyring = subprocess.Popen(
            [_tool("gnome-keyring-daemon"), *keyring_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env,
            process_group=bus.pid,
        )
        children.append(keyring)
        assert keyring.stdin is not None
        with keyring.stdin:
            if unlock:
                keyring.stdin.write(password.encode())
        _wait_for_owner(env["DBUS_SESSION_BUS_ADDRESS"], keyring)
        yield env
    finally:
        if children:
            _stop(children, folders["XDG_RUNTIME_DIR"])
            if children[0].stdout is not None:
                children[0].stdout.close()
