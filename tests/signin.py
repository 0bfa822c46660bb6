"""Signing a Django test client in as a user — the one way tests do it.

Use ``sign_in(client, user)`` instead of ``client.force_login``: when sign-in gains steps, only this function
learns them. For a staff user (``srdi.services.second_factor.required_for``) it also completes the second
factor: the user gets a confirmed TOTP authenticator (``authenticator(user)``) and the session is marked
verified exactly as ``django_otp.login`` does. ``next_code(device)`` gives a code the device will accept now
(browser tests type it).
"""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from srdi.db.models import User
from srdi.services import second_factor


def authenticator(user: User) -> TOTPDevice:
    """The user's confirmed TOTP device, created when there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return device


def totp_code(key: bytes, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The TOTP code of ``key`` at time ``at`` (now by default)."""
    totp = TOTP(key, step=step, digits=digits)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{digits}d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current step's, or the next step's when the current one was used
    already (django-otp refuses a step at or before ``last_t`` and accepts one step ahead)."""
    device.refresh_from_db()
    now = time.time()
    current = int((now - device.t0) // device.step)
    step = max(current, device.last_t + 1)
    if step > current + device.tolerance:
        time.sleep((current + 1) * device.step + device.t0 - now + 0.1)  # every accepted step is used
        return next_code(device)
    return totp_code(device.bin_key, at=device.t0 + step * device.step + 1, step=device.step)


def sign_in(client: Client, user: User) -> Client:
    """Sign ``client`` in as ``user`` with every sign-in step completed; returns the client."""
    client.force_login(user)
    if second_factor.required_for(user):
        device = authenticator(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def sign_in_without_second_factor(client: Client, user: User) -> Client:
    """A session signed in by the password alone (as before two-factor existed) — only for the tests that
    check what such a session may not do."""
    client.force_login(user)
    return client
