"""Logging in to the test Proxmox VE server, and authenticating each request after that.

``POST /access/ticket`` with the two-step TOTP challenge (``NeedTFA``, then
``tfa-challenge`` and ``password=totp:CODE``); the ``PVEAuthCookie`` cookie plus the
``CSRFPreventionToken`` header on writes; API tokens as
``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import time
from typing import Any
from urllib.parse import unquote

from tests.setup.peers.pve_state import ApiError, Principal, PveState


def totp(secret: bytes, at: float | None = None, step: int = 30) -> str:
    """RFC 6238 TOTP (SHA-1, 6 digits), as authenticator apps and PVE compute it."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def ticket(state: PveState, params: dict[str, str]) -> dict[str, Any]:
    """``POST /access/ticket``: a ticket, a TOTP challenge, or the answer to one."""
    username = params.get("username", "")
    challenge = params.get("tfa-challenge")
    if challenge is not None:
        user = state.users.get(username)
        code = params.get("password", "").removeprefix("totp:")
        if (
            state.challenges.pop(challenge, None) != username
            or user is None
            or user.totp_secret is None
            or not any(
                hmac.compare_digest(code, totp(user.totp_secret, time.time() + 30 * d))
                for d in (-1, 0, 1)
            )
        ):
            raise ApiError(401, "authentication failure")
        return _new_ticket(state, username)
    user = state.users.get(username)
    if user is None or not hmac.compare_digest(user.password, params.get("password", "")):
        raise ApiError(401, "authentication failure")
    if user.totp_secret is not None:
        partial = f"PVE:!tfa!{json.dumps({'totp': True})}:{secrets.token_hex(8)}"
        state.challenges[partial] = username
        csrf = secrets.token_hex(16)
        return {
            "username": username,
            "ticket": partial,
            "CSRFPreventionToken": csrf,
            "NeedTFA": 1,
        }
    return _new_ticket(state, username)


def _new_ticket(state: PveState, username: str) -> dict[str, Any]:
    signature = base64.b64encode(secrets.token_bytes(24)).decode("ascii")
    ticket = f"PVE:{username}:{int(time.time()):08X}::{signature}"
    csrf = f"{int(time.time()):08X}:{base64.b64encode(secrets.token_bytes(12)).decode()}"
    state.tickets[ticket] = (username, csrf)
    return {"username": username, "ticket": ticket, "CSRFPreventionToken": csrf, "cap": {}}


def authenticate(state: PveState, headers: Any, method: str) -> Principal:
    """Who sent a request with *headers*: an API token, or a ticket (with CSRF on writes)."""
    header = headers.get("Authorization", "")
    if header.startswith("PVEAPIToken="):
        full, sep, value = header.removeprefix("PVEAPIToken=").partition("=")
        userid, bang, tokenid = full.partition("!")
        token = state.tokens.get((userid, tokenid))
        if not sep or not bang or token is None:
            raise ApiError(401, f"no such token '{tokenid}' for user '{userid}'")
        if not hmac.compare_digest(token.value, value):
            raise ApiError(401, "invalid token value!")
        return Principal(userid, tokenid, bool(token.privsep))
    cookie = headers.get("Cookie", "")
    ticket = next(
        (
            unquote(part.split("=", 1)[1])
            for part in cookie.split(";")
            if part.strip().startswith("PVEAuthCookie=")
        ),
        None,
    )
    if ticket is None:
        raise ApiError(401, "No ticket")
    known = state.tickets.get(ticket)
    if known is None:
        raise ApiError(401, "authentication failure")
    username, csrf = known
    if method != "GET" and headers.get("CSRFPreventionToken") != csrf:
        raise ApiError(401, "Permission denied - invalid csrf token")
    return Principal(username)
