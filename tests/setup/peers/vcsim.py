"""govmomi's vSphere simulator as a real peer: built once from ``vcsim/main.go``, run per test.

Debian ships govmomi as Go source (golang-github-vmware-govmomi-dev); Go
(golang-go) builds the small main beside this file in GOPATH mode. The binary
is cached outside the repository, keyed by a hash of main.go and the Go
version, so only the first run pays for the build (about 20-30 s).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["GOVMOMI", "Simulator", "build", "start"]

SOURCE = Path(__file__).resolve().parent / "vcsim"
GOPATH = Path("/usr/share/gocode")
GOVMOMI = GOPATH / "src" / "github.com" / "vmware" / "govmomi" / "simulator"
BUILD_TIMEOUT = 300
START_TIMEOUT = 30


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glassdome-tests" / "vcsim"


def build() -> Path:
    """The simulator binary, built now unless a build of this main.go is cached."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go is not installed (Debian: golang-go)")
    if not GOVMOMI.is_dir():
        raise RuntimeError(f"{GOVMOMI} is missing (Debian: golang-github-vmware-govmomi-dev)")
    version = subprocess.run(
        [go, "version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    digest = hashlib.sha256((SOURCE / "main.go").read_bytes() + version.encode()).hexdigest()
    cache = _cache_dir()
    binary = cache / f"vcsim-{digest[:16]}"
    if binary.exists():
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if binary.exists():
            return binary
        partial = binary.with_suffix(".partial")
        env = {
            **os.environ,
            "GO111MODULE": "off",  # Debian's Go sources are a GOPATH tree, not modules
            "GOPATH": f"{cache / 'gopath'}:{GOPATH}",
            "GOCACHE": str(cache / "gocache"),
            "CGO_ENABLED": "0",  # no C compiler needed
            "GOFLAGS": "",
        }
        done = subprocess.run(
            [go, "build", "-o", str(partial), "."],
            cwd=SOURCE,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the vSphere simulator failed:\n{done.stderr}")
        partial.replace(binary)
    return binary


@dataclass
class Simulator:
    """A running simulator: its address and process (stop it with `stop`)."""

    process: subprocess.Popen[str]
    url: str
    host: str = field(init=False)
    port: int = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(
    binary: Path,
    *,
    password: str,
    username: str = "root",
    model: str = "esx",
    cert: tuple[Path, Path] | None = None,
) -> Simulator:
    """Run the simulator on a free 127.0.0.1 port; return once it prints its URL."""
    argv = [str(binary), "-listen", "127.0.0.1:0", "-model", model, "-username", username]
    argv += ["-password", password]
    if cert is not None:
        argv += ["-cert", str(cert[0]), "-key", str(cert[1])]
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=START_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("URL "):
        Simulator(process, "https://127.0.0.1:1").stop()
        raise RuntimeError(f"the vSphere simulator did not start (printed {line!r})")
    return Simulator(process, line.split()[1])
