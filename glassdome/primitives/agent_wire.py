"""How a glassdome process talks to the unlock agent: where its socket is, and the messages.

Standard library only: `glassdome secrets get` reaches the agent through this module
without importing pydantic, Rich, cryptography or any backend.

The socket is ``$XDG_RUNTIME_DIR/glassdome/agent.sock``, else
``<temp dir>/glassdome-<uid>/agent.sock``. Its folder must be a real folder owned by
this user with mode 0700, the socket a socket owned by this user with no group or
other bits: checked on every connect, and anything else is ignored with a one-line
warning (the caller then works without the agent). The agent checks the peer's uid
on every connection (`peer_uid`).

A message is a 4-byte big-endian length and that many bytes of JSON (an object with
``"v": PROTOCOL_VERSION``); one request and one reply per connection. A request
larger than `MAX_MESSAGE` is answered with an error, never read.
"""

from __future__ import annotations

# The low-level module: `socket` itself imports enum, a noticeable share of a `secrets get`.
import _socket
import json
import os
import stat
import struct
import sys

# Not `typing.TYPE_CHECKING`: importing typing is a noticeable share of a `secrets get`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    StrPath = str | os.PathLike[str]

__all__ = [
    "ENV_AGENT",
    "MAX_MESSAGE",
    "PROTOCOL_VERSION",
    "AgentMiss",
    "StoreId",
    "agent_disabled",
    "agent_socket",
    "check_folder",
    "check_socket",
    "listening",
    "peer_uid",
    "receive",
    "request",
    "runtime_folder",
    "send",
    "store_id",
]

PROTOCOL_VERSION = 1
MAX_MESSAGE = 1024 * 1024  # bytes of JSON in one message; larger requests are refused
ENV_AGENT = "GLASSDOME_AGENT"  # "off": never use an agent
SOCKET_NAME = "agent.sock"
KEY_FILE = "master_key.enc"  # the file store's key file (its key id is plain JSON)
MARKER_FILE = "backend"  # the backend auto selection recorded (see backends.base)
CONNECT_TIMEOUT = 2.0
_HEADER = struct.Struct(">I")


class AgentMiss(Exception):
    """No agent answered for this store (none running, refused, locked, another store).

    *reached*: an agent accepted the connection and then gave no reply.
    """

    def __init__(self, reason: str, *, reached: bool = False) -> None:
        super().__init__(reason)
        self.reached = reached


def agent_disabled(env: Mapping[str, str]) -> bool:
    """Whether ``GLASSDOME_AGENT=off`` (or 0/no/false) turns the agent off."""
    return env.get(ENV_AGENT, "").strip().lower() in {"off", "0", "no", "false"}


def _temp_root(env: Mapping[str, str]) -> str:
    """What `tempfile.gettempdir` finds first, without importing tempfile (a slow import)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        folder = env.get(name, "")
        if folder and os.path.isabs(folder) and os.path.isdir(folder):
            return folder
    return "/tmp"  # noqa: S108 - a per-uid folder in it, checked to be private on every use


def runtime_folder(env: Mapping[str, str] | None = None) -> str:
    """The agent's folder: ``$XDG_RUNTIME_DIR/glassdome``, else one per uid in the temp dir."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "glassdome")
    return os.path.join(_temp_root(env), f"glassdome-{os.getuid()}")


def agent_socket(env: Mapping[str, str] | None = None) -> str:
    """The agent's socket path."""
    return os.path.join(runtime_folder(env), SOCKET_NAME)


def _owned_private(info: os.stat_result) -> str | None:
    if info.st_uid != os.getuid():
        return f"it belongs to uid {info.st_uid}, not to you ({os.getuid()})"
    if info.st_mode & 0o077:
        return f"its mode is {stat.S_IMODE(info.st_mode):04o}, not private to you"
    return None


def check_folder(folder: StrPath) -> str | None:
    """Why *folder* must not hold the agent's socket, or None when it is fine."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return "it does not exist"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder (a symbolic link, or a file)"
    return _owned_private(info)


def check_socket(path: str) -> str | None:
    """Why the agent socket at *path* must not be trusted (or None); checks its folder too."""
    folder = os.path.dirname(path)
    reason = check_folder(folder)
    if reason is not None:
        return f"{folder}: {reason}"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISSOCK(info.st_mode):
        return f"{path} is not a socket"
    reason = _owned_private(info)
    return None if reason is None else f"{path}: {reason}"


def peer_uid(sock: _socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket, or None if unknown."""
    if hasattr(_socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
        creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1])
    if sys.platform == "darwin" or "bsd" in sys.platform:  # pragma: no cover - not Linux
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = ctypes.c_uint32(), ctypes.c_uint32()
        if libc.getpeereid(sock.fileno(), ctypes.byref(uid), ctypes.byref(gid)) == 0:
            return int(uid.value)
    return None  # pragma: no cover - a platform without either


def send(sock: _socket.socket, message: Mapping[str, Any]) -> None:
    """Send one message: the length, then the JSON."""
    body = json.dumps({"v": PROTOCOL_VERSION, **message}, separators=(",", ":")).encode()
    sock.sendall(_HEADER.pack(len(body)) + body)


def _read_exactly(sock: _socket.socket, size: int) -> bytes:
    parts, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ConnectionError("the connection closed in the middle of a message")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def receive(sock: _socket.socket, limit: int = MAX_MESSAGE) -> dict[str, Any]:
    """Read one message; ValueError says why it is not one (too large, not JSON, no object)."""
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if size > limit:
        raise ValueError(f"a message of {size} bytes is above the limit of {limit}")
    try:
        message = json.loads(_read_exactly(sock, size))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("a message is not JSON") from None
    if not isinstance(message, dict):
        raise ValueError("a message is not a JSON object")  # noqa: TRY004 - a bad message
    if message.get("v") != PROTOCOL_VERSION:
        raise ValueError(f"protocol version {message.get('v')!r}; this side speaks 1")
    return message


class StoreId(dict[str, str]):
    """Which store a request is about: its folder's real path, its backend and key id."""


def _key_id(home: StrPath) -> str:
    try:
        with open(os.path.join(home, KEY_FILE), "rb") as file:
            doc = json.loads(file.read(64 * 1024))
    except (OSError, ValueError):
        return ""
    key_id = doc.get("key_id") if isinstance(doc, dict) else None
    return key_id if isinstance(key_id, str) else ""


def store_id(home: StrPath, backend: str) -> StoreId:
    """The store in *home* held by *backend* (``file`` also names its key id, if any)."""
    found = StoreId(home=os.path.realpath(home), backend=backend)
    found["key_id"] = _key_id(home) if backend == "file" else ""
    return found


def recorded_backend(home: StrPath, requested: str) -> str | None:
    """The backend a store in *home* uses, found without probing anything; None if unsure.

    An explicit choice is itself; ``auto`` is the recorded marker, else ``file`` when
    a key file is there (what `glassdome.core.selection` would choose, minus probing).
    """
    requested = requested.strip().lower() or "auto"
    if requested != "auto":
        return requested
    try:
        with open(os.path.join(home, MARKER_FILE), encoding="utf-8") as file:
            marker = file.read(64).strip()
    except OSError:
        marker = ""
    if marker in ("keyring", "file"):
        return marker
    return "file" if os.path.exists(os.path.join(home, KEY_FILE)) else None


_warned: set[str] = set()


def _warn(message: str) -> None:
    """Say once per process why the agent is not used."""
    if message not in _warned:
        _warned.add(message)
        print(f"glassdome: {message}; working without the agent", file=sys.stderr)


def listening(env: Mapping[str, str] | None = None) -> bool:
    """Whether something accepts connections on the agent socket (alive, if maybe busy)."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(agent_socket(env))
    except OSError:
        return False
    finally:
        sock.close()
    return True


def request(
    message: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Send *message* to the agent and return its reply (``ok`` true or false).

    Raises `AgentMiss` when there is no usable agent: disabled, no socket, a socket
    or folder that fails its checks (with a one-line warning), refused, or broken.
    """
    env = os.environ if env is None else env
    if agent_disabled(env):
        raise AgentMiss("GLASSDOME_AGENT is off")
    path = agent_socket(env)
    reason = check_socket(path)
    if reason == "missing" or (reason or "").endswith("it does not exist"):
        raise AgentMiss("no agent")
    if reason is not None:
        _warn(f"ignoring the agent socket ({reason})")
        raise AgentMiss(reason)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(path)
    except OSError as exc:
        sock.close()
        raise AgentMiss(f"no agent answers on its socket ({type(exc).__name__})") from None
    try:
        if peer_uid(sock) not in (None, os.getuid()):  # the agent must be ours too
            raise AgentMiss("the agent socket is served by another user")
        sock.settimeout(timeout)
        send(sock, message)
        return receive(sock)
    except (OSError, ValueError, struct.error) as exc:
        reason = f"the agent did not answer ({type(exc).__name__})"
        raise AgentMiss(reason, reached=True) from None
    finally:
        sock.close()
