"""Step types by name: the built-ins below, then the ``glassdome.steps`` entry points.

The name a playbook's ``uses:`` gives is spelled once: as a key here for a
built-in, as its entry point's name for a plugin. A built-in type's module is
imported only when a playbook uses it (a playbook of `message` steps does not
pay for the Proxmox client), and installed plugins are scanned only when a name
is not a built-in or the full list is wanted. A plugin that fails to load is
reported, never fatal; a plugin cannot replace a built-in type.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from glassdome.plugins import Registry
from glassdome.steps.base import StepClass, StepType

__all__ = ["ENTRY_POINT_GROUP", "step_types"]

ENTRY_POINT_GROUP = "glassdome.steps"
_BUILTIN = {
    "secret.set": "glassdome.steps.secret:SecretSet",
    "secret.require": "glassdome.steps.secret:SecretRequire",
    "secret.generate": "glassdome.steps.secret:SecretGenerate",
    "secret.expires": "glassdome.steps.expires:SecretExpires",
    "config.set": "glassdome.steps.config:ConfigSet",
    "assert": "glassdome.steps.checks:Assert",
    "message": "glassdome.steps.checks:Message",
    "net.tls_fingerprint": "glassdome.steps.net:TlsFingerprint",
    "http.check": "glassdome.steps.net:HttpCheck",
    "ask": "glassdome.steps.ask:Ask",
    "proxmox.api_token": "glassdome.steps.proxmox_token:ApiToken",
    "proxmox.verify_token": "glassdome.steps.proxmox_token:VerifyToken",
    "proxmox.nodes": "glassdome.steps.proxmox_settings:Nodes",
    "proxmox.settings": "glassdome.steps.proxmox_settings:SaveSettings",
    "proxmox.rotate_token": "glassdome.steps.rotate_proxmox:RotateCreate",
    "proxmox.rotate_verify": "glassdome.steps.rotate_proxmox:RotateVerify",
    "proxmox.rotate_store": "glassdome.steps.rotate_proxmox:RotateStore",
    "proxmox.rotate_revoke": "glassdome.steps.rotate_proxmox:RotateRevoke",
    "proxmox.rotate_record": "glassdome.steps.rotate_proxmox:RotateRecord",
    "esxi.verify": "glassdome.steps.esxi:EsxiVerify",
    "azure.verify_service_principal": "glassdome.steps.azure:VerifyServicePrincipal",
    "azure.rotate_secret": "glassdome.steps.rotate_azure:RotateCreate",
    "azure.rotate_verify": "glassdome.steps.rotate_azure:RotateVerify",
    "azure.rotate_store": "glassdome.steps.rotate_azure:RotateStore",
    "azure.rotate_revoke": "glassdome.steps.rotate_azure:RotateRevoke",
    "aws.verify_access_key": "glassdome.steps.aws:VerifyAccessKey",
    "aws.rotate_key": "glassdome.steps.rotate_aws:RotateCreate",
    "aws.rotate_verify": "glassdome.steps.rotate_aws:RotateVerify",
    "aws.rotate_store": "glassdome.steps.rotate_aws:RotateStore",
    "aws.rotate_revoke": "glassdome.steps.rotate_aws:RotateRevoke",
    "ai.verify_key": "glassdome.steps.ai:AiVerifyKey",
    "mailcow.verify_key": "glassdome.steps.ai:MailcowVerifyKey",
}


def _step_class(loaded: Any) -> StepClass:
    if not (isinstance(loaded, type) and issubclass(loaded, StepType)):
        raise TypeError("not a subclass of glassdome.steps.base.StepType")
    return loaded


@cache
def step_types() -> Registry[StepClass]:
    """Every step type by name: built-ins, then plugins (each loaded when first asked for)."""
    return Registry(ENTRY_POINT_GROUP, _BUILTIN, "step type", _step_class)
