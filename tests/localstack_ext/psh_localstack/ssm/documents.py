"""The AWS-owned patching documents: DescribeDocument / GetDocument, and parameters validated against them.

Parameters, their defaults and allowed values follow the Patch Manager user guide's pages on the SSM Command
documents for patching (https://docs.aws.amazon.com/systems-manager/latest/userguide/
patch-manager-aws-runpatchbaseline.html, patch-manager-aws-runpatchbaselineassociation.html,
patch-manager-aws-runpatchbaselinewithhooks.html). Other documents are LocalStack's (moto's): the handlers
answer None for them and the provider falls back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from psh_localstack.ssm.errors import client_error

PATCH_DOCUMENT_VERSION = "1"
UUID_OR_EMPTY = "(^$)|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_OPERATION = {
    "type": "String",
    "description": "(Required) The update or configuration to perform on the instance. The system checks if "
    "patches specified in the patch baseline are installed on the instance. The install operation installs "
    "patches missing from the baseline.",
    "allowedValues": ["Scan", "Install"],
}
_SNAPSHOT_ID = {
    "type": "String",
    "default": "",
    "description": "(Optional) The snapshot ID to use to retrieve a patch baseline snapshot.",
    "allowedPattern": "(^$)|^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$",
}
_REBOOT_OPTION = {
    "type": "String",
    "description": "(Optional) Reboot behavior after a patch Install operation.",
    "allowedValues": ["RebootIfNeeded", "NoReboot"],
    "default": "RebootIfNeeded",
}
_INSTALL_OVERRIDE_LIST = {
    "type": "String",
    "default": "",
    "description": "(Optional) An https or S3 path-style URL to the list of patches to install.",
    "allowedPattern": "(^$)|^https://.+$|^s3://([^/]+)/(.*?([^/]+))$",
}
_BASELINE_OVERRIDE = {
    "type": "String",
    "default": "",
    "description": "(Optional) Defines the patch baseline override to use for this operation.",
    "allowedPattern": "(^$)|^https://.+$|^s3://([^/]+)/(.*?([^/]+))$",
}


def _hook(description: str) -> dict[str, Any]:
    return {
        "type": "String",
        "description": description,
        "allowedPattern": "^(AWS-Noop|[a-zA-Z0-9_\\-.:/]{3,128})$",
        "default": "AWS-Noop",
    }


PATCH_DOCUMENTS: dict[str, dict[str, Any]] = {
    "AWS-RunPatchBaseline": {
        "description": "Scans for or installs patches from a patch baseline on Linux or Windows.",
        "parameters": {
            "Operation": _OPERATION,
            "SnapshotId": _SNAPSHOT_ID,
            "InstallOverrideList": _INSTALL_OVERRIDE_LIST,
            "BaselineOverride": _BASELINE_OVERRIDE,
            "RebootOption": _REBOOT_OPTION,
        },
    },
    "AWS-RunPatchBaselineAssociation": {
        "description": "Scans for or installs patches from a patch baseline selected by baseline tags.",
        "parameters": {
            "Operation": _OPERATION,
            "BaselineTags": {
                "type": "StringList",
                "default": [],
                "description": "(Optional) Tags of the patch baseline to use, e.g. Key=Env,Value=Prod.",
                "allowedPattern": "^$|Key=[^,]+,Values?=[^,]+",
            },
            "AssociationId": {
                "type": "String",
                "default": "",
                "description": "(Optional) The association the operation runs for.",
                "allowedPattern": UUID_OR_EMPTY,
            },
            "SnapshotId": _SNAPSHOT_ID,
            "RebootOption": _REBOOT_OPTION,
        },
    },
    "AWS-RunPatchBaselineWithHooks": {
        "description": "Scans for or installs patches from a patch baseline, with lifecycle hooks.",
        "parameters": {
            "Operation": {**_OPERATION, "default": "Scan"},
            "SnapshotId": _SNAPSHOT_ID,
            "RebootOption": _REBOOT_OPTION,
            "PreInstallHookDocName": _hook(
                "(Optional) Document to run before the install (NoReboot) operation."
            ),
            "PostInstallHookDocName": _hook(
                "(Optional) Document to run after the install (NoReboot) operation."
            ),
            "OnExitHookDocName": _hook("(Optional) Document to run after the managed node reboots."),
        },
    },
}


def describe_document(request: dict[str, Any], region: str) -> dict[str, Any] | None:
    if not is_patch_document(request["Name"]):
        return None
    return {"Document": describe(document_name(request["Name"]), region)}


def get_document(request: dict[str, Any]) -> dict[str, Any] | None:
    if not is_patch_document(request["Name"]):
        return None
    name = document_name(request["Name"])
    return {
        "Name": name,
        "DocumentVersion": PATCH_DOCUMENT_VERSION,
        "Status": "Active",
        "Content": json.dumps(content(name)),
        "DocumentType": "Command",
        "DocumentFormat": "JSON",
    }


def is_patch_document(name: str | None) -> bool:
    return bool(name) and name.split("/")[-1].split(":")[-1] in PATCH_DOCUMENTS


def document_name(name: str) -> str:
    """Accepts the name or an ARN (arn:aws:ssm:<region>::document/AWS-RunPatchBaseline)."""
    return name.rsplit("/", maxsplit=1)[-1]


def content(name: str) -> dict[str, Any]:
    spec = PATCH_DOCUMENTS[name]
    return {
        "schemaVersion": "2.2",
        "description": spec["description"],
        "parameters": spec["parameters"],
        "mainSteps": [
            {
                "precondition": {"StringEquals": ["platformType", platform]},
                "action": "aws:runPowerShellScript" if platform == "Windows" else "aws:runShellScript",
                "name": f"Patch{platform}",
                "inputs": {"runCommand": ["# simulated by psh_localstack"]},
            }
            for platform in ("Windows", "Linux")
        ],
    }


def describe(name: str, region: str) -> dict[str, Any]:
    spec = PATCH_DOCUMENTS[name]
    return {
        "Name": name,
        "Owner": "Amazon",
        "Status": "Active",
        "DocumentVersion": PATCH_DOCUMENT_VERSION,
        "LatestVersion": PATCH_DOCUMENT_VERSION,
        "DefaultVersion": PATCH_DOCUMENT_VERSION,
        "DocumentType": "Command",
        "DocumentFormat": "JSON",
        "SchemaVersion": "2.2",
        "PlatformTypes": ["Windows", "Linux"],
        "Description": spec["description"],
        "HashType": "Sha256",
        "Parameters": [
            {
                "Name": key,
                "Type": value["type"],
                "Description": value["description"],
                **({"DefaultValue": _default_text(value["default"])} if "default" in value else {}),
            }
            for key, value in spec["parameters"].items()
        ],
        "Tags": [],
    }


def _default_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve_parameters(name: str, given: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Validate against the document like SSM does and fill in defaults.

    InvalidParameters: "You must specify values for all required parameters in the Amazon Web Services Systems
    Manager document (SSM document). You can only supply values to parameters defined in the SSM document."
    (botocore model)."""
    spec = PATCH_DOCUMENTS[document_name(name)]["parameters"]
    given = given or {}
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise client_error("InvalidParameters", f"Parameters {unknown} are not defined in the document.")
    resolved: dict[str, list[str]] = {}
    for key, definition in spec.items():
        if key in given:
            values = given[key]
        elif "default" in definition:
            default = definition["default"]
            values = default if isinstance(default, list) else [default]
        else:
            raise client_error("InvalidParameters", f'Parameter "{key}" is required.')
        if definition["type"] == "String" and len(values) != 1:
            raise client_error("InvalidParameters", f'Parameter "{key}" takes a single value.')
        for value in values:
            if "allowedValues" in definition and value not in definition["allowedValues"]:
                raise client_error(
                    "InvalidParameters",
                    f'Parameter "{key}" has value "{value}" not in {definition["allowedValues"]}.',
                )
            if "allowedPattern" in definition and not re.search(definition["allowedPattern"], value):
                raise client_error(
                    "InvalidParameters",
                    f'Parameter "{key}" "{value}" failed to satisfy constraint: '
                    f"{definition['allowedPattern']}",
                )
        resolved[key] = list(values)
    return resolved
