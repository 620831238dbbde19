"""The agent process: one Unix socket, one request per connection, stores held in memory.

Started by `glassdome unlock` (`glassdome.agent.launch`), never with a secret in its
arguments or environment. It makes itself undumpable (`disable_core_dumps`), locks
its memory where the limits allow (`mlockall`), answers only its own user (the
peer's uid on every connection), and forgets everything and removes its socket on
``lock``/``agent stop``, SIGTERM, SIGINT, the idle timeout or the maximum lifetime.
One agent runs per user: it holds ``agent.lock`` in its folder for its whole life,
so a second one exits at once and a stale socket (a killed agent) is replaced safely.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import select
import signal
import socket
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from glassdome.agent.held import (
    Holdings,
    NotHeld,
    build_file_store,
    build_keyring_store,
    build_remote_store,
)
from glassdome.errors import GlassdomeError
from glassdome.primitives.agent_wire import (
    MAX_MESSAGE,
    StoreId,
    check_folder,
    peer_uid,
    receive,
    send,
)

__all__ = ["Agent", "lock_memory"]

_WORKERS = 8  # connections served at once; more wait in the queue
_READ_TIMEOUT = 5.0  # a client that sends nothing is dropped
_STORE_OPS = ("get", "names", "get_meta", "all_meta", "set", "delete")


class _Stop(Exception):
    """Raised by the signal handlers to leave the loop."""


def lock_memory() -> bool:
    """``mlockall`` (no swap) where the memlock limit allows it all; whether it was done."""
    try:
        import ctypes
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
        if soft != resource.RLIM_INFINITY and os.geteuid() != 0:
            return False  # a partial lock would make later allocations fail
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.mlockall(1 | 2) == 0)  # MCL_CURRENT | MCL_FUTURE
    except (ImportError, OSError, AttributeError):
        return False


class Agent:
    """Serve the stores unlocked into it on *path* until idle for *timeout* s or *lifetime* s."""

    def __init__(self, path: Path, timeout: float, lifetime: float) -> None:
        self.path = path
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = self.started + lifetime
        self.last_used = self.started
        self.holdings = Holdings()
        self.memory_locked = False
        self._stopping = threading.Event()
        self._queue: queue.SimpleQueue[socket.socket | None] = queue.SimpleQueue()
        self._wake_read, self._wake_write = os.pipe()  # a stop request wakes the loop at once

    def __repr__(self) -> str:
        return f"Agent(path={str(self.path)!r}, stores={len(self.holdings)})"

    # -- life ----------------------------------------------------------------

    def _left(self) -> float:
        now = time.monotonic()
        return min(self.last_used + self.timeout, self.deadline) - now

    def serve(self) -> int:
        """Serve until stopped or timed out; the exit code.

        0 when it served; 2 when its folder is not private; 3 when another agent runs.
        """
        folder = self.path.parent
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        reason = check_folder(folder)
        if reason is not None:
            return 2
        lock_fd = os.open(folder / "agent.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            import fcntl

            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 3  # another agent holds the folder
            return self._serve_locked()
        finally:
            os.close(lock_fd)

    def _serve_locked(self) -> int:
        self.path.unlink(missing_ok=True)  # a killed agent's socket: nobody answers on it
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)  # the socket is 0600 from its first moment
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_mask)
        self.path.chmod(0o600)
        listener.listen(64)
        # A fixed pool: a thread per connection would cost a new stack (and, with the
        # memory locked, its pages) on every request.
        workers = [threading.Thread(target=self._work, daemon=True) for _ in range(_WORKERS)]
        for worker in workers:
            worker.start()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _SIGNALS}
        try:
            while not self._stopping.is_set() and self._left() > 0:
                wait = min(1.0, max(self._left(), 0))
                ready, _, _ = select.select([listener.fileno(), self._wake_read], [], [], wait)
                if listener.fileno() in ready:
                    self._accept(listener)
        except _Stop:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            listener.close()
            self.path.unlink(missing_ok=True)
            for _ in workers:
                self._queue.put(None)
            # Replies in flight (the `lock` reply among them) are sent before the process
            # exits: the workers are daemon threads and would die mid-reply.
            for worker in workers:
                worker.join(_READ_TIMEOUT + 1.0)
            self._forget()
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        raise _Stop

    def _forget(self) -> None:
        self.holdings.forget()
        gc.collect()  # drop the backends' keys and documents as far as Python allows

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        self._queue.put(conn)

    def _work(self) -> None:
        while (conn := self._queue.get()) is not None:
            try:
                self._handle(conn)
            except Exception:  # noqa: BLE001, S112 - a worker never dies of one connection
                continue

    # -- one connection ------------------------------------------------------

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(_READ_TIMEOUT)
                if peer_uid(conn) != os.getuid():
                    send(conn, _error("refused", "the agent serves only its own user"))
                    return
                try:
                    message = receive(conn, MAX_MESSAGE)
                except ValueError as exc:
                    send(conn, _error("bad-request", str(exc)))
                    return
                send(conn, self.answer(message))
        except (OSError, ValueError):
            pass  # the client went away; nothing to tell it

    def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        """The reply to one request; never raises for anything a client can send."""
        op = message.get("op")
        try:
            if op == "status":
                return {"ok": True, **self.status()}
            if op in ("stop", "lock"):
                self._stopping.set()
                self._forget()
                os.write(self._wake_write, b"x")
                return {"ok": True, "pid": os.getpid()}
            self.last_used = time.monotonic()
            if op == "hold":
                return self._hold(message)
            if op == "holds":
                self.holdings.find(_store(message))
                return {"ok": True}
            if op in _STORE_OPS:
                return {"ok": True, **self.holdings.serve(str(op), message)}
            return _error("bad-request", "unknown operation")
        except NotHeld:
            return _error("not-held", "the agent does not hold this store")
        except GlassdomeError as exc:
            return _error("failed", str(exc), type(exc).__name__)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return _error("bad-request", f"malformed request ({type(exc).__name__}: {exc})")
        except OSError as exc:  # the store's files: disk full, permissions, ...
            return _error("failed", f"{exc.filename or 'the store'}: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - the agent answers, whatever went wrong
            return _error("failed", f"the agent failed ({type(exc).__name__})")

    def status(self) -> dict[str, Any]:
        """Pid, stores held, idle time and life left (seconds); no key, no value."""
        now = time.monotonic()
        return {
            "pid": os.getpid(),
            "stores": self.holdings.describe(),
            "idle_left": max(0.0, self.last_used + self.timeout - now),
            "lifetime_left": max(0.0, self.deadline - now),
            "timeout": self.timeout,
            "memory_locked": self.memory_locked,
        }

    def _hold(self, message: dict[str, Any]) -> dict[str, Any]:
        store = _store(message)
        backend = store.get("backend")
        ident = StoreId(home=str(store["home"]), backend=str(backend))
        ident["key_id"] = str(store.get("key_id", ""))
        timeout = message.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            self.timeout = float(timeout)
        if backend == "file":
            raw = message.get("data_key")
            if not isinstance(raw, str) or not ident["key_id"]:
                raise ValueError("hold needs a key id and a data key")
            held = build_file_store(ident, raw.encode("ascii"))
        elif backend == "keyring":
            held = build_keyring_store(ident, self.timeout)
        else:
            env, cache = message.get("env"), message.get("cache")
            if not isinstance(env, dict) or not isinstance(cache, (int, float)) or cache <= 0:
                raise ValueError("a remote backend needs its environment and a cache time")
            held = build_remote_store(ident, {str(k): str(v) for k, v in env.items()}, cache)
        self.holdings.add(held)
        return {"ok": True, **self.status()}


def _store(message: dict[str, Any]) -> dict[str, Any]:
    store = message.get("store")
    if not isinstance(store, dict):
        raise ValueError("a request names no store")  # noqa: TRY004 - a bad request
    return store


def _error(code: str, message: str, kind: str = "") -> dict[str, Any]:
    return {"ok": False, "error": code, "message": message, "kind": kind}


_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
