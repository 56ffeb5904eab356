"""State Manager associations of the patching documents: CreateAssociation, DescribeAssociation,
UpdateAssociation, DeleteAssociation, ListAssociations, DescribeAssociationExecutions, StartAssociationsOnce
(Systems Manager API reference of each).

An execution runs the association's document as a command on its targets (commands.start_command) and records
the outcome as an AssociationExecution.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from psh_localstack.ssm import commands, documents, fleet
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import page

# The CreateAssociation / UpdateAssociation request fields an association keeps.
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
# ListAssociations' AssociationFilter keys the store can answer -> association fields (API reference,
# AssociationFilter).
LIST_FILTER_FIELDS = {
    "Name": "Name",
    "AssociationId": "AssociationId",
    "AssociationName": "AssociationName",
    "InstanceId": "InstanceId",
}
# The fields of an Association (ListAssociations) as opposed to an AssociationDescription.
LISTED_FIELDS = (
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


def association(store: PatchStore, association_id: str | None) -> dict[str, Any]:
    if not association_id or association_id not in store.associations:
        # AssociationDoesNotExist: "The specified association doesn't exist." (botocore model)
        raise client_error("AssociationDoesNotExist", "The association does not exist.")
    return store.associations[association_id]


def _validate(request: dict[str, Any]) -> None:
    name = request["Name"]
    if documents.is_patch_document(name):
        documents.resolve_parameters(name, request.get("Parameters"))
    if not request.get("Targets") and not request.get("InstanceId"):
        raise client_error("ValidationException", "Targets or InstanceId is required.")
    # ApplyOnlyAtCronInterval: "This parameter isn't supported for rate expressions." (API reference,
    # CreateAssociation and UpdateAssociation). The error is InvalidSchedule, the one of both operations'
    # error lists about the schedule ("The schedule is invalid. Verify your cron or rate expression and try
    # again."); its message is the emulator's wording.
    if request.get("ApplyOnlyAtCronInterval") and str(request.get("ScheduleExpression", "")).startswith(
        "rate("
    ):
        raise client_error(
            "InvalidSchedule",
            "ApplyOnlyAtCronInterval is not supported for rate expressions: "
            f"{request['ScheduleExpression']}. Use a cron expression.",
        )


def create_association(
    store: PatchStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any]:
    if not documents.is_patch_document(request["Name"]):
        # The emulator models the patching documents only (InvalidDocument: "The specified SSM document
        # doesn't exist.", botocore model).
        raise client_error(
            "InvalidDocument",
            f"Document {request['Name']} is not supported by this LocalStack extension.",
        )
    _validate(request)
    association_id = str(uuid.uuid4())
    stamp = now()
    created = {
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
        store.associations[association_id] = created
        store.association_executions[association_id] = []
        store.tags[("Association", association_id)] = {
            tag["Key"]: tag["Value"] for tag in request.get("Tags", [])
        }
    # CreateAssociation, ApplyOnlyAtCronInterval: "By default, when you create a new association, the system
    # runs it immediately after it is created and then according to the schedule you specified" (API
    # reference).
    if not created["ApplyOnlyAtCronInterval"]:
        run(store, account_id, region, created)
    return {"AssociationDescription": copy.deepcopy(created)}


def describe_association(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    association_id = request.get("AssociationId")
    if not association_id and request.get("Name"):
        # DescribeAssociation by Name and InstanceId (API reference: "AssociationId ... or Name and
        # InstanceId").
        association_id = next(
            (
                aid
                for aid, each in store.associations.items()
                if each["Name"] == request["Name"] and each.get("InstanceId") == request.get("InstanceId")
            ),
            None,
        )
    return {"AssociationDescription": copy.deepcopy(association(store, association_id))}


def update_association(
    store: PatchStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any]:
    with store.lock:
        stored = association(store, request["AssociationId"])
        merged = {**stored, **{key: request[key] for key in ASSOCIATION_FIELDS if key in request}}
        _validate(merged)
        # AssociationVersion: "This parameter is provided for concurrency control purposes. You must specify
        # the latest association version in the service." (API reference, UpdateAssociation)
        if (
            request.get("AssociationVersion")
            and request["AssociationVersion"] != stored["AssociationVersion"]
        ):
            raise client_error("InvalidAssociationVersion", "Association version mismatch.")
        stored.update({key: copy.deepcopy(request[key]) for key in ASSOCIATION_FIELDS if key in request})
        stored["AssociationVersion"] = str(int(stored["AssociationVersion"]) + 1)
        stored["LastUpdateAssociationDate"] = now()
        stored["ApplyOnlyAtCronInterval"] = bool(stored.get("ApplyOnlyAtCronInterval", False))
        updated = copy.deepcopy(stored)
    # UpdateAssociation, ApplyOnlyAtCronInterval: "By default, when you update an association, the system runs
    # it immediately after it is updated and then according to the schedule you specified" (API reference); a
    # change of Targets is an update and so runs on the new targets ("Understanding when associations are
    # applied to resources", State Manager user guide: the association runs "when target changes are
    # detected"). With the flag set, State Manager "applies the association at the next specified cron
    # interval".
    if not updated["ApplyOnlyAtCronInterval"]:
        run(store, account_id, region, stored)
    return {"AssociationDescription": updated}


def delete_association(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        association(store, request.get("AssociationId"))
        store.associations.pop(request["AssociationId"])
        store.association_executions.pop(request["AssociationId"], None)
        store.tags.pop(("Association", request["AssociationId"]), None)
    return {}


def list_associations(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    found = []
    for stored in store.associations.values():
        keep = True
        for flt in request.get("AssociationFilterList", []):
            field = LIST_FILTER_FIELDS.get(flt["key"])
            if field and stored.get(field) != flt["value"]:
                keep = False
        if keep:
            found.append({key: stored[key] for key in LISTED_FIELDS if key in stored})
    chunk, token = page(found, request, "ListAssociations", 50)
    return {"Associations": copy.deepcopy(chunk), **token}


def describe_association_executions(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    association(store, request["AssociationId"])
    runs = list(reversed(store.association_executions.get(request["AssociationId"], [])))  # newest first
    chunk, token = page(runs, request, "DescribeAssociationExecutions", 50)
    return {"AssociationExecutions": copy.deepcopy(chunk), **token}


def start_associations_once(
    store: PatchStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any]:
    chosen = [association(store, association_id) for association_id in request["AssociationIds"]]
    for each in chosen:
        run(store, account_id, region, each)
    return {}


def run(store: PatchStore, account_id: str, region: str, stored: dict[str, Any]) -> None:
    """One execution of a patching association on its targets (a command, run in the background)."""
    targets = fleet.resolve_targets(
        store,
        stored.get("Targets"),
        [stored["InstanceId"]] if stored.get("InstanceId") else None,
    )
    parameters = documents.resolve_parameters(stored["Name"], stored.get("Parameters"))
    if documents.document_name(stored["Name"]) == "AWS-RunPatchBaselineAssociation":
        # State Manager passes the association's id to this document (user guide,
        # AWS-RunPatchBaselineAssociation, parameter AssociationId).
        parameters["AssociationId"] = [stored["AssociationId"]]
    execution = {
        "AssociationId": stored["AssociationId"],
        "AssociationVersion": stored["AssociationVersion"],
        "ExecutionId": str(uuid.uuid4()),
        "Status": "InProgress",
        "DetailedStatus": "InProgress",
        "CreatedTime": now(),
        "ResourceCountByStatus": "",
    }
    with store.lock:
        store.association_executions.setdefault(stored["AssociationId"], []).append(execution)
        stored["LastExecutionDate"] = execution["CreatedTime"]
        stored["Overview"] = {"Status": "Pending", "DetailedStatus": "InProgress"}
    command = commands.start_command(
        store,
        account_id,
        region,
        document=stored["Name"],
        parameters=parameters,
        targets=targets,
        comment=f"association {stored['AssociationId']}",
    )

    def finished(statuses: dict[str, str]) -> None:
        # AssociationExecution.ResourceCountByStatus: "An aggregate status of the resources in the execution
        # based on the status type", e.g. {Success=2} (API reference, DescribeAssociationExecutions example).
        with store.lock:
            # A stopped node's invocation ends TimedOut (commands.py): it counts by that status, and the
            # execution is Failed as with any invocation that did not succeed (the emulator's choice).
            failed = sum(1 for status in statuses.values() if status != "Success")
            execution["Status"] = "Failed" if failed else "Success"
            execution["DetailedStatus"] = execution["Status"]
            counts = {"Success": len(statuses) - failed}
            for status in statuses.values():
                if status != "Success":
                    counts[status] = counts.get(status, 0) + 1
            execution["ResourceCountByStatus"] = (
                "{" + ", ".join(f"{status}={count}" for status, count in counts.items()) + "}"
            )
            stored["Overview"] = {
                "Status": execution["Status"],
                "DetailedStatus": execution["Status"],
                "AssociationStatusAggregatedCount": {execution["Status"]: len(statuses)} if statuses else {},
            }
            stored["LastSuccessfulExecutionDate"] = now()

    command["on_finish"] = finished
