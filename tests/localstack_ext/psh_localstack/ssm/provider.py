"""SSM provider: LocalStack's community provider plus patch management (moto answers everything else)."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import timedelta
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.moto import call_moto
from localstack.services.ssm.provider import SsmProvider

from psh_localstack.ssm import documents, fleet, patching
from psh_localstack.ssm.faults import faultable
from psh_localstack.ssm.store import PatchStore, patch_stores

OWN_TAG_TYPES = {"Association", "PatchBaseline", "ManagedInstance"}
BASELINE_DEFAULTS = {
    "OperatingSystem": "WINDOWS",
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "ApprovedPatches": [],
    "RejectedPatches": [],
    "Sources": [],
    # AWS always returns both groups; the Terraform provider dereferences them.
    "GlobalFilters": {"PatchFilters": []},
    "ApprovalRules": {"PatchRules": []},
}
BASELINE_FIELDS = (
    "Name",
    "OperatingSystem",
    "GlobalFilters",
    "ApprovalRules",
    "ApprovedPatches",
    "ApprovedPatchesComplianceLevel",
    "ApprovedPatchesEnableNonSecurity",
    "RejectedPatches",
    "RejectedPatchesAction",
    "Description",
    "Sources",
    "AvailableSecurityUpdatesComplianceStatus",
)
ASSOCIATION_FIELDS = (
    "Name",
    "DocumentVersion",
    "Parameters",
    "Targets",
    "ScheduleExpression",
    "OutputLocation",
    "AssociationName",
    "AutomationTargetParameterName",
    "MaxErrors",
    "MaxConcurrency",
    "ComplianceSeverity",
    "SyncCompliance",
    "ApplyOnlyAtCronInterval",
    "CalendarNames",
    "TargetLocations",
    "ScheduleOffset",
    "Duration",
    "TargetMaps",
    "AlarmConfiguration",
    "InstanceId",
)


def _store(context: RequestContext) -> PatchStore:
    return patch_stores[context.account_id][context.region]


def _page(items: list[Any], request: dict[str, Any], default_size: int) -> tuple[list[Any], dict[str, str]]:
    start = int(request.get("NextToken") or 0)
    size = int(request.get("MaxResults") or default_size)
    chunk = items[start : start + size]
    return chunk, ({"NextToken": str(start + size)} if start + size < len(items) else {})


def _not_found(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400)


class PshSsmProvider(SsmProvider):
    # --- documents ------------------------------------------------------------------------------------------

    @handler("DescribeDocument", expand=False)
    def describe_document(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if documents.is_patch_document(request["Name"]):
            return {"Document": documents.describe(documents.document_name(request["Name"]), context.region)}
        return call_moto(context)

    @handler("GetDocument", expand=False)
    def get_document(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if not documents.is_patch_document(request["Name"]):
            return call_moto(context)
        import json

        name = documents.document_name(request["Name"])
        return {
            "Name": name,
            "DocumentVersion": documents.PATCH_DOCUMENT_VERSION,
            "Status": "Active",
            "Content": json.dumps(documents.content(name)),
            "DocumentType": "Command",
            "DocumentFormat": "JSON",
        }

    # --- tags -----------------------------------------------------------------------------------------------

    def _tag_target(self, context: RequestContext, request: dict[str, Any]) -> tuple[str, str] | None:
        resource_type, resource_id = request["ResourceType"], request["ResourceId"]
        if resource_type not in OWN_TAG_TYPES:
            return None
        store = _store(context)
        exists = {
            "Association": store.associations,
            "PatchBaseline": store.baselines,
            "ManagedInstance": store.nodes,
        }[resource_type]
        if resource_id not in exists:
            raise _not_found("InvalidResourceId", f"{resource_type} {resource_id} does not exist")
        return resource_type, resource_id

    @handler("AddTagsToResource", expand=False)
    def add_tags_to_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = self._tag_target(context, request)
        if target is None:
            return call_moto(context)
        store = _store(context)
        with store.lock:
            store.tags.setdefault(target, {}).update({tag["Key"]: tag["Value"] for tag in request["Tags"]})
        return {}

    @handler("RemoveTagsFromResource", expand=False)
    def remove_tags_from_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = self._tag_target(context, request)
        if target is None:
            return call_moto(context)
        tags = _store(context).tags.setdefault(target, {})
        for key in request["TagKeys"]:
            tags.pop(key, None)
        return {}

    @handler("ListTagsForResource", expand=False)
    def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = self._tag_target(context, request)
        if target is None:
            return call_moto(context)
        tags = _store(context).tags.get(target, {})
        return {"TagList": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}

    # --- patch baselines and patch groups -------------------------------------------------------------------

    @handler("CreatePatchBaseline", expand=False)
    def create_patch_baseline(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        baseline_id = "pb-" + uuid.uuid4().hex[:17]
        stamp = fleet.now()
        baseline = {
            **copy.deepcopy(BASELINE_DEFAULTS),
            **{key: copy.deepcopy(request[key]) for key in BASELINE_FIELDS if key in request},
            "BaselineId": baseline_id,
            "CreatedDate": stamp,
            "ModifiedDate": stamp,
        }
        with store.lock:
            store.baselines[baseline_id] = baseline
            store.tags[("PatchBaseline", baseline_id)] = {
                tag["Key"]: tag["Value"] for tag in request.get("Tags", [])
            }
        return {"BaselineId": baseline_id}

    def _baseline(self, store: PatchStore, baseline_id: str) -> dict[str, Any]:
        baseline_id = baseline_id.rsplit("/", maxsplit=1)[-1]
        if baseline_id not in store.baselines:
            raise _not_found("DoesNotExistException", f"Patch Baseline {baseline_id} does not exist.")
        return store.baselines[baseline_id]

    def _baseline_view(self, store: PatchStore, baseline: dict[str, Any]) -> dict[str, Any]:
        view = {key: value for key, value in baseline.items() if key != "DefaultBaseline"}
        view["PatchGroups"] = sorted(
            group for group, bid in store.patch_groups.items() if bid == baseline["BaselineId"]
        )
        return view

    @handler("GetPatchBaseline", expand=False)
    def get_patch_baseline(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        return self._baseline_view(store, self._baseline(store, request["BaselineId"]))

    @handler("UpdatePatchBaseline", expand=False)
    def update_patch_baseline(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        with store.lock:
            baseline = self._baseline(store, request["BaselineId"])
            if request.get("Replace"):
                kept = {key: baseline[key] for key in ("BaselineId", "CreatedDate", "OperatingSystem")}
                baseline.clear()
                baseline.update({**copy.deepcopy(BASELINE_DEFAULTS), **kept})
            for key in BASELINE_FIELDS:
                if key in request and key != "OperatingSystem":
                    baseline[key] = copy.deepcopy(request[key])
            baseline["ModifiedDate"] = fleet.now()
            return self._baseline_view(store, baseline)

    @handler("DeletePatchBaseline", expand=False)
    def delete_patch_baseline(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        baseline_id = request["BaselineId"]
        with store.lock:
            if baseline_id in store.patch_groups.values():
                raise CommonServiceException(
                    "ResourceInUseException", f"Patch Baseline {baseline_id} is registered with patch groups."
                )
            store.baselines.pop(baseline_id, None)
            store.tags.pop(("PatchBaseline", baseline_id), None)
        return {"BaselineId": baseline_id}

    @handler("DescribePatchBaselines", expand=False)
    def describe_patch_baselines(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        identities = []
        for baseline in store.baselines.values():
            identity = {
                "BaselineId": baseline["BaselineId"],
                "BaselineName": baseline["Name"],
                "OperatingSystem": baseline["OperatingSystem"],
                "BaselineDescription": baseline.get("Description", ""),
                "DefaultBaseline": bool(baseline.get("DefaultBaseline")),
            }
            if self._matches(
                identity,
                request.get("Filters", []),
                {"NAME_PREFIX": "BaselineName", "OWNER": None, "OPERATING_SYSTEM": "OperatingSystem"},
            ):
                identities.append(identity)
        chunk, token = _page(identities, request, 50)
        return {"BaselineIdentities": chunk, **token}

    @staticmethod
    def _matches(
        identity: dict[str, Any], filters: list[dict[str, Any]], fields: dict[str, str | None]
    ) -> bool:
        for flt in filters:
            field = fields.get(flt["Key"])
            if flt["Key"] == "OWNER":
                if "Self" not in flt["Values"] and "All" not in flt["Values"]:
                    return False
            elif flt["Key"] == "NAME_PREFIX":
                if not any(str(identity[field]).startswith(value) for value in flt["Values"]):
                    return False
            elif field and identity.get(field) not in flt["Values"]:
                return False
        return True

    @handler("RegisterPatchBaselineForPatchGroup", expand=False)
    def register_patch_baseline_for_patch_group(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        with store.lock:
            self._baseline(store, request["BaselineId"])
            group = request["PatchGroup"]
            if group in store.patch_groups:
                raise CommonServiceException(
                    "AlreadyExistsException",
                    f"Patch Group {group} is already registered with baseline {store.patch_groups[group]}",
                )
            store.patch_groups[group] = request["BaselineId"]
        return {"BaselineId": request["BaselineId"], "PatchGroup": group}

    @handler("DeregisterPatchBaselineForPatchGroup", expand=False)
    def deregister_patch_baseline_for_patch_group(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        with store.lock:
            if store.patch_groups.get(request["PatchGroup"]) != request["BaselineId"]:
                raise _not_found(
                    "DoesNotExistException",
                    f"Patch Group {request['PatchGroup']} is not registered with {request['BaselineId']}",
                )
            del store.patch_groups[request["PatchGroup"]]
        return {"BaselineId": request["BaselineId"], "PatchGroup": request["PatchGroup"]}

    @handler("GetPatchBaselineForPatchGroup", expand=False)
    def get_patch_baseline_for_patch_group(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        system = request.get("OperatingSystem", "WINDOWS")
        baseline_id = store.patch_groups.get(request["PatchGroup"], fleet.DEFAULT_BASELINES.get(system))
        return {"BaselineId": baseline_id, "PatchGroup": request["PatchGroup"], "OperatingSystem": system}

    @handler("DescribePatchGroups", expand=False)
    def describe_patch_groups(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        mappings = []
        for group, baseline_id in sorted(store.patch_groups.items()):
            baseline = store.baselines[baseline_id]
            mappings.append(
                {
                    "PatchGroup": group,
                    "BaselineIdentity": {
                        "BaselineId": baseline_id,
                        "BaselineName": baseline["Name"],
                        "OperatingSystem": baseline["OperatingSystem"],
                        "DefaultBaseline": False,
                        "BaselineDescription": baseline.get("Description", ""),
                    },
                }
            )
        chunk, token = _page(mappings, request, 50)
        return {"Mappings": chunk, **token}

    # --- associations ---------------------------------------------------------------------------------------

    def _association(self, store: PatchStore, association_id: str | None) -> dict[str, Any]:
        if not association_id or association_id not in store.associations:
            raise _not_found("AssociationDoesNotExist", "The association does not exist.")
        return store.associations[association_id]

    def _validate_association(self, request: dict[str, Any]) -> None:
        name = request["Name"]
        if documents.is_patch_document(name):
            documents.resolve_parameters(name, request.get("Parameters"))
        if not request.get("Targets") and not request.get("InstanceId"):
            raise CommonServiceException("ValidationException", "Targets or InstanceId is required.")

    @handler("CreateAssociation", expand=False)
    def create_association(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if not documents.is_patch_document(request["Name"]):
            raise CommonServiceException(
                "InvalidDocument",
                f"Document {request['Name']} is not supported by this LocalStack extension.",
            )
        self._validate_association(request)
        store = _store(context)
        association_id = str(uuid.uuid4())
        stamp = fleet.now()
        association = {
            **{key: copy.deepcopy(request[key]) for key in ASSOCIATION_FIELDS if key in request},
            "AssociationId": association_id,
            "AssociationVersion": "1",
            "Date": stamp,
            "LastUpdateAssociationDate": stamp,
            "Status": {"Date": stamp, "Name": "Associated", "Message": "Associated with " + request["Name"]},
            "Overview": {"Status": "Pending", "DetailedStatus": "Creating"},
            "DocumentVersion": request.get("DocumentVersion", "$DEFAULT"),
            "ApplyOnlyAtCronInterval": bool(request.get("ApplyOnlyAtCronInterval", False)),
        }
        with store.lock:
            store.associations[association_id] = association
            store.association_executions[association_id] = []
            store.tags[("Association", association_id)] = {
                tag["Key"]: tag["Value"] for tag in request.get("Tags", [])
            }
        if not association["ApplyOnlyAtCronInterval"]:
            self._run_association(context, association)  # SSM runs a new association once right away
        return {"AssociationDescription": copy.deepcopy(association)}

    @handler("DescribeAssociation", expand=False)
    def describe_association(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        association_id = request.get("AssociationId")
        if not association_id and request.get("Name"):
            association_id = next(
                (
                    aid
                    for aid, each in store.associations.items()
                    if each["Name"] == request["Name"] and each.get("InstanceId") == request.get("InstanceId")
                ),
                None,
            )
        return {"AssociationDescription": copy.deepcopy(self._association(store, association_id))}

    @handler("UpdateAssociation", expand=False)
    def update_association(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        with store.lock:
            association = self._association(store, request["AssociationId"])
            merged = {**association, **{key: request[key] for key in ASSOCIATION_FIELDS if key in request}}
            self._validate_association(merged)
            if (
                request.get("AssociationVersion")
                and request["AssociationVersion"] != association["AssociationVersion"]
            ):
                raise CommonServiceException("InvalidAssociationVersion", "Association version mismatch.")
            association.update(
                {key: copy.deepcopy(request[key]) for key in ASSOCIATION_FIELDS if key in request}
            )
            association["AssociationVersion"] = str(int(association["AssociationVersion"]) + 1)
            association["LastUpdateAssociationDate"] = fleet.now()
            return {"AssociationDescription": copy.deepcopy(association)}

    @handler("DeleteAssociation", expand=False)
    def delete_association(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        with store.lock:
            self._association(store, request.get("AssociationId"))
            store.associations.pop(request["AssociationId"])
            store.association_executions.pop(request["AssociationId"], None)
            store.tags.pop(("Association", request["AssociationId"]), None)
        return {}

    @handler("ListAssociations", expand=False)
    def list_associations(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        found = []
        for association in store.associations.values():
            keep = True
            for flt in request.get("AssociationFilterList", []):
                field = {
                    "Name": "Name",
                    "AssociationId": "AssociationId",
                    "AssociationName": "AssociationName",
                    "InstanceId": "InstanceId",
                }.get(flt["key"])
                if field and association.get(field) != flt["value"]:
                    keep = False
            if keep:
                found.append(
                    {
                        key: association[key]
                        for key in (
                            "Name",
                            "AssociationId",
                            "AssociationVersion",
                            "DocumentVersion",
                            "Targets",
                            "Overview",
                            "ScheduleExpression",
                            "AssociationName",
                            "LastExecutionDate",
                            "InstanceId",
                        )
                        if key in association
                    }
                )
        chunk, token = _page(found, request, 50)
        return {"Associations": copy.deepcopy(chunk), **token}

    @handler("DescribeAssociationExecutions", expand=False)
    def describe_association_executions(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        self._association(store, request["AssociationId"])
        runs = list(reversed(store.association_executions.get(request["AssociationId"], [])))
        chunk, token = _page(runs, request, 50)
        return {"AssociationExecutions": copy.deepcopy(chunk), **token}

    @handler("StartAssociationsOnce", expand=False)
    def start_associations_once(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        chosen = [self._association(store, association_id) for association_id in request["AssociationIds"]]
        for association in chosen:
            self._run_association(context, association)
        return {}

    def _run_association(self, context: RequestContext, association: dict[str, Any]) -> None:
        """One execution of a patching association on its targets (a command, run in the background)."""
        store = _store(context)
        targets = fleet.resolve_targets(
            store,
            association.get("Targets"),
            [association["InstanceId"]] if association.get("InstanceId") else None,
        )
        parameters = documents.resolve_parameters(association["Name"], association.get("Parameters"))
        if documents.document_name(association["Name"]) == "AWS-RunPatchBaselineAssociation":
            parameters["AssociationId"] = [association["AssociationId"]]
        execution = {
            "AssociationId": association["AssociationId"],
            "AssociationVersion": association["AssociationVersion"],
            "ExecutionId": str(uuid.uuid4()),
            "Status": "InProgress",
            "DetailedStatus": "InProgress",
            "CreatedTime": fleet.now(),
            "ResourceCountByStatus": "",
        }
        with store.lock:
            store.association_executions.setdefault(association["AssociationId"], []).append(execution)
            association["LastExecutionDate"] = execution["CreatedTime"]
            association["Overview"] = {"Status": "Pending", "DetailedStatus": "InProgress"}
        command = self._start_command(
            context,
            association["Name"],
            parameters,
            targets,
            comment=f"association {association['AssociationId']}",
        )

        def finished(statuses: dict[str, str]) -> None:
            with store.lock:
                failed = sum(1 for status in statuses.values() if status != "Success")
                execution["Status"] = "Failed" if failed else "Success"
                execution["DetailedStatus"] = execution["Status"]
                execution["ResourceCountByStatus"] = f"{{Success={len(statuses) - failed}" + (
                    f", Failed={failed}}}" if failed else "}"
                )
                association["Overview"] = {
                    "Status": execution["Status"],
                    "DetailedStatus": execution["Status"],
                    "AssociationStatusAggregatedCount": {execution["Status"]: len(statuses)}
                    if statuses
                    else {},
                }
                association["LastSuccessfulExecutionDate"] = fleet.now()

        command["on_finish"] = finished

    # --- commands -------------------------------------------------------------------------------------------

    def _start_command(
        self,
        context: RequestContext,
        document: str,
        parameters: dict[str, list[str]],
        targets: list[str],
        comment: str = "",
    ) -> dict[str, Any]:
        store = _store(context)
        command_id = fleet.new_command_id()
        stamp = fleet.now()
        command = {
            "CommandId": command_id,
            "DocumentName": documents.document_name(document),
            "DocumentVersion": "1",
            "Comment": comment,
            "ExpiresAfter": stamp + timedelta(hours=2),
            "Parameters": parameters,
            "InstanceIds": targets,
            "Targets": [],
            "RequestedDateTime": stamp,
            "Status": "InProgress",
            "StatusDetails": "InProgress",
            "TargetCount": len(targets),
            "CompletedCount": 0,
            "ErrorCount": 0,
            "DeliveryTimedOutCount": 0,
            "MaxConcurrency": "50",
            "MaxErrors": "0",
            "ServiceRole": "",
            "invocations": {instance_id: "InProgress" for instance_id in targets},
            "on_finish": None,
        }
        with store.lock:
            store.commands[command_id] = command
        account_id, region = context.account_id, context.region

        def run() -> None:
            operation = parameters.get("Operation", ["Scan"])[0]
            reboot = parameters.get("RebootOption", ["RebootIfNeeded"])[0]
            snapshot = parameters.get("SnapshotId", [""])[0]
            for instance_id in targets:
                try:
                    fleet.run_patch_operation(
                        store,
                        account_id,
                        region,
                        instance_id,
                        operation=operation,
                        reboot_option=reboot,
                        execution_id=command_id,
                        snapshot_id=snapshot,
                    )
                    status = "Success"
                except Exception:
                    fleet.LOG.exception("patch operation on %s failed", instance_id)
                    status = "Failed"
                with store.lock:
                    command["invocations"][instance_id] = status
                    command["CompletedCount"] += 1
                    command["ErrorCount"] += status != "Success"
            with store.lock:
                command["Status"] = "Failed" if command["ErrorCount"] else "Success"
                command["StatusDetails"] = command["Status"]
                if command["on_finish"]:
                    command["on_finish"](dict(command["invocations"]))

        # Started after the caller had a chance to attach on_finish.
        threading.Timer(0.05, run).start()
        return command

    @staticmethod
    def _command_view(command: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in command.items() if key not in ("invocations", "on_finish")}

    @handler("SendCommand", expand=False)
    def send_command(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if not documents.is_patch_document(request["DocumentName"]):
            return call_moto(context)
        parameters = documents.resolve_parameters(request["DocumentName"], request.get("Parameters"))
        store = _store(context)
        targets = fleet.resolve_targets(store, request.get("Targets"), request.get("InstanceIds"))
        unknown = sorted(set(request.get("InstanceIds", [])) - set(targets))
        if unknown:
            raise CommonServiceException("InvalidInstanceId", f"Instances {unknown} are not managed nodes.")
        command = self._start_command(
            context, request["DocumentName"], parameters, targets, comment=request.get("Comment", "")
        )
        return {"Command": self._command_view(command)}

    def _own_command(self, context: RequestContext, command_id: str | None) -> dict[str, Any] | None:
        return _store(context).commands.get(command_id or "")

    @handler("ListCommands", expand=False)
    def list_commands(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        command = self._own_command(context, request.get("CommandId"))
        if command is None:
            return call_moto(context)
        return {"Commands": [self._command_view(command)]}

    @handler("ListCommandInvocations", expand=False)
    def list_command_invocations(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        command = self._own_command(context, request.get("CommandId"))
        if command is None:
            return {"CommandInvocations": []}
        invocations = [
            {
                "CommandId": command["CommandId"],
                "InstanceId": instance_id,
                "DocumentName": command["DocumentName"],
                "DocumentVersion": "1",
                "RequestedDateTime": command["RequestedDateTime"],
                "Status": status,
                "StatusDetails": status,
                "Comment": command["Comment"],
            }
            for instance_id, status in command["invocations"].items()
            if not request.get("InstanceId") or request["InstanceId"] == instance_id
        ]
        chunk, token = _page(invocations, request, 50)
        return {"CommandInvocations": chunk, **token}

    @handler("GetCommandInvocation", expand=False)
    def get_command_invocation(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        command = self._own_command(context, request.get("CommandId"))
        if command is None:
            return call_moto(context)
        status = command["invocations"].get(request["InstanceId"])
        if status is None:
            raise CommonServiceException("InvocationDoesNotExist", "The command invocation does not exist.")
        return {
            "CommandId": command["CommandId"],
            "InstanceId": request["InstanceId"],
            "DocumentName": command["DocumentName"],
            "DocumentVersion": "1",
            "Status": status,
            "StatusDetails": status,
            "ResponseCode": 0 if status == "Success" else -1,
            "StandardOutputContent": "",
            "StandardErrorContent": "",
            "PluginName": "PatchLinux",
        }

    # --- fleet views ----------------------------------------------------------------------------------------

    @handler("DescribeInstanceInformation", expand=False)
    @faultable("DescribeInstanceInformation")
    def describe_instance_information(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        filters = [(flt["key"], flt["valueSet"]) for flt in request.get("InstanceInformationFilterList", [])]
        filters += [(flt["Key"], flt["Values"]) for flt in request.get("Filters", [])]
        fields = {
            "InstanceIds": "InstanceId",
            "PlatformTypes": "PlatformType",
            "ResourceType": "ResourceType",
            "PingStatus": "PingStatus",
            "AssociationStatus": "AssociationStatus",
            "AgentVersion": "AgentVersion",
        }
        found = []
        for instance_id, node in sorted(store.nodes.items()):
            info = node["info"]
            tags = store.tags.get(("ManagedInstance", instance_id), {})
            if all(
                (tags.get(key[4:]) in values)
                if key.startswith("tag:")
                else (info.get(fields.get(key, key)) in values)
                for key, values in filters
            ):
                found.append(info)
        chunk, token = _page(found, request, 50)
        return {"InstanceInformationList": copy.deepcopy(chunk), **token}

    @handler("DescribeInstancePatchStates", expand=False)
    @faultable("DescribeInstancePatchStates")
    def describe_instance_patch_states(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        ids = request["InstanceIds"]
        if len(ids) > 50:
            raise CommonServiceException(
                "ValidationException",
                "1 validation error detected: Value at 'instanceIds' failed to satisfy "
                "constraint: Member must have length less than or equal to 50",
            )
        store = _store(context)
        states = [store.patch_states[each] for each in ids if each in store.patch_states]
        chunk, token = _page(states, request, 10)
        return {"InstancePatchStates": copy.deepcopy(chunk), **token}

    @handler("DescribeInstancePatchStatesForPatchGroup", expand=False)
    def describe_instance_patch_states_for_patch_group(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        states = [
            state for state in store.patch_states.values() if state["PatchGroup"] == request["PatchGroup"]
        ]
        chunk, token = _page(states, request, 50)
        return {"InstancePatchStates": copy.deepcopy(chunk), **token}

    @handler("DescribeInstancePatches", expand=False)
    @faultable("DescribeInstancePatches")
    def describe_instance_patches(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        node = store.nodes.get(request["InstanceId"])
        if node is None:
            raise CommonServiceException(
                "InvalidInstanceId", f"Instance {request['InstanceId']} is not managed."
            )
        if request["InstanceId"] not in store.patch_states:
            return {"Patches": []}  # nothing reported before the first scan
        patches = [patching.instance_patch(patch) for patch in node["patches"]]
        for flt in request.get("Filters", []):
            if flt["Key"] not in ("Classification", "KBId", "Severity", "State"):
                raise CommonServiceException("InvalidFilter", f"Filter key {flt['Key']} is not supported.")
            patches = [patch for patch in patches if patch[flt["Key"]] in flt["Values"]]
        chunk, token = _page(patches, request, 50)
        return {"Patches": chunk, **token}

    # --- compliance -----------------------------------------------------------------------------------------

    @handler("PutComplianceItems", expand=False)
    def put_compliance_items(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        if request["ResourceType"] != "ManagedInstance":
            raise CommonServiceException("InvalidResourceType", "Only ManagedInstance is supported.")
        for item in request["Items"]:
            if item["Severity"] not in patching.COMPLIANCE_LEVELS or item["Status"] not in (
                "COMPLIANT",
                "NON_COMPLIANT",
            ):
                raise CommonServiceException("InvalidItemContentException", f"Invalid item {item.get('Id')}")
        execution = dict(request["ExecutionSummary"])
        execution.setdefault("ExecutionType", "Command")
        items = [dict(item) for item in request["Items"]]
        fleet.put_compliance(
            store,
            context.account_id,
            context.region,
            resource_type=request["ResourceType"],
            resource_id=request["ResourceId"],
            compliance_type=request["ComplianceType"],
            execution=execution,
            items=items,
            partial=request.get("UploadType") == "PARTIAL",
            baseline_id=store.patch_states.get(request["ResourceId"], {}).get("BaselineId", ""),
        )
        return {}

    @staticmethod
    def _filter_ok(value: Any, flt: dict[str, Any]) -> bool:
        kind = flt.get("Type", "EQUAL")
        values = flt.get("Values", [])
        if kind == "EQUAL":
            return value in values
        if kind == "NOT_EQUAL":
            return value not in values
        if kind == "BEGIN_WITH":
            return any(str(value).startswith(each) for each in values)
        return True

    @handler("ListComplianceItems", expand=False)
    @faultable("ListComplianceItems")
    def list_compliance_items(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        if request.get("MaxResults", 10) > 50:
            raise CommonServiceException(
                "ValidationException",
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                "Member must have value less than or equal to 50",
            )
        ids = set(request.get("ResourceIds") or [])
        types = set(request.get("ResourceTypes") or ["ManagedInstance"])
        # Select before sorting: per-node queries on a fleet of thousands stay cheap.
        records = [(key, record) for key, record in store.compliance.items() if not ids or key[1] in ids]
        found = []
        for (resource_type, resource_id, compliance_type), record in sorted(records):
            if (ids and resource_id not in ids) or resource_type not in types:
                continue
            for item in record["Items"]:
                entry = {
                    "ComplianceType": compliance_type,
                    "ResourceType": resource_type,
                    "ResourceId": resource_id,
                    "Id": item.get("Id", ""),
                    "Title": item.get("Title", ""),
                    "Status": item["Status"],
                    "Severity": item["Severity"],
                    "ExecutionSummary": record["ExecutionSummary"],
                    "Details": item.get("Details", {}),
                }
                if all(self._filter_ok(entry.get(flt["Key"]), flt) for flt in request.get("Filters", [])):
                    found.append(entry)
        chunk, token = _page(found, request, 10)
        return {"ComplianceItems": copy.deepcopy(chunk), **token}

    @staticmethod
    def _severity_summary(items: list[dict[str, Any]]) -> dict[str, int]:
        names = {
            "CRITICAL": "CriticalCount",
            "HIGH": "HighCount",
            "MEDIUM": "MediumCount",
            "LOW": "LowCount",
            "INFORMATIONAL": "InformationalCount",
            "UNSPECIFIED": "UnspecifiedCount",
        }
        summary = dict.fromkeys(names.values(), 0)
        for item in items:
            summary[names[item["Severity"]]] += 1
        return summary

    @handler("ListResourceComplianceSummaries", expand=False)
    def list_resource_compliance_summaries(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        store = _store(context)
        found = []
        for (resource_type, resource_id, compliance_type), record in sorted(store.compliance.items()):
            status, severity = patching.overall_status(record["Items"])
            compliant = [item for item in record["Items"] if item["Status"] == "COMPLIANT"]
            failing = [item for item in record["Items"] if item["Status"] == "NON_COMPLIANT"]
            entry = {
                "ComplianceType": compliance_type,
                "ResourceType": resource_type,
                "ResourceId": resource_id,
                "Status": status,
                "OverallSeverity": severity,
                "ExecutionSummary": record["ExecutionSummary"],
                "CompliantSummary": {
                    "CompliantCount": len(compliant),
                    "SeveritySummary": self._severity_summary(compliant),
                },
                "NonCompliantSummary": {
                    "NonCompliantCount": len(failing),
                    "SeveritySummary": self._severity_summary(failing),
                },
            }
            if all(self._filter_ok(entry.get(flt["Key"]), flt) for flt in request.get("Filters", [])):
                found.append(entry)
        chunk, token = _page(found, request, 50)
        return {"ResourceComplianceSummaryItems": copy.deepcopy(chunk), **token}

    @handler("ListComplianceSummaries", expand=False)
    def list_compliance_summaries(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = _store(context)
        by_type: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for (_, _, compliance_type), record in store.compliance.items():
            status, severity = patching.overall_status(record["Items"])
            bucket = by_type.setdefault(compliance_type, ([], []))
            bucket[0 if status == "COMPLIANT" else 1].append({"Severity": severity})
        summaries = [
            {
                "ComplianceType": compliance_type,
                "CompliantSummary": {
                    "CompliantCount": len(good),
                    "SeveritySummary": self._severity_summary(good),
                },
                "NonCompliantSummary": {
                    "NonCompliantCount": len(bad),
                    "SeveritySummary": self._severity_summary(bad),
                },
            }
            for compliance_type, (good, bad) in sorted(by_type.items())
            if all(
                self._filter_ok(compliance_type, flt)
                for flt in request.get("Filters", [])
                if flt["Key"] == "ComplianceType"
            )
        ]
        chunk, token = _page(summaries, request, 50)
        return {"ComplianceSummaryItems": chunk, **token}
