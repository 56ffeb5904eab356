"""Findings over time: nodes SSM no longer lists (stopped, terminated, deregistered), events SSM's read
has not caught up with, and the sweep that lists every node and finding for the forwarder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from patch_securityhub import events, sweep
from patch_securityhub.config import SweepConfig
from patch_securityhub.events import (
    SWEEP_IDS_PER_MESSAGE,
    EventRejectedError,
    SweepRequest,
    parse_message,
    sweep_message,
)
from patch_securityhub.finding import (
    TITLE_GONE,
    FindingContext,
    build_finding,
    finding_id,
)
from patch_securityhub.finding_check import finding_errors
from patch_securityhub.forwarder import sweep_requests
from patch_securityhub.logs import JsonLogger
from patch_securityhub.model import NodeSnapshot
from patch_securityhub.node_fate import NodeFate, fate_from_state
from patch_securityhub.pipeline import (
    IMPORTED,
    RESOLVED,
    SKIPPED,
    TRANSIENT,
    TRANSIENT_REASONS,
    Carried,
    NodeRequest,
    _merge_requests,
)
from patch_securityhub.securityhub_io import RecentImports, carried_finding, parse_prior
from patch_securityhub.ssm_read import parse_instance_information, parse_patch_state
from unit_helpers import (
    ACCOUNT,
    REGION,
    Flow,
    LambdaContext,
    compliance_event,
    compliant_row,
    info_row,
    no_sleep,
    patch_state_row,
    process_stubbed,
    ts,
)

NOW = ts("2026-11-23T12:00:00Z")
NODE = "i-0123456789abcdef0"
HYBRID = "mi-0123456789abcdef0"


def published(node: str) -> dict[str, Any]:
    """A finding as this product published it, as GetFindings returns it (Security Hub's own fields added)."""
    state = parse_patch_state(patch_state_row(node))
    (info,) = parse_instance_information({"InstanceInformationList": [info_row(node)]})
    finding = build_finding(
        NodeSnapshot(node, state, info),
        FindingContext(ACCOUNT, REGION),
        prior=None,
        now=ts("2026-11-23T10:02:00Z"),
    )
    finding["ProcessedAt"] = "2026-11-23T10:02:01.000Z"
    finding["Workflow"] = {"Status": "NEW"}
    finding["ProductFields"]["aws/securityhub/FindingId"] = finding["Id"]
    return finding


def run(stubbed: dict[str, Any], requests: list[NodeRequest]) -> Any:
    return process_stubbed(stubbed, requests, now=NOW)


@pytest.fixture
def imported(stubbed: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    stubbed["securityhub"].meta.events.register(
        "provide-client-params.securityhub.BatchImportFindings",
        lambda params, **_: sent.extend(params["Findings"]),
    )
    return sent


# --- node fate ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "fate"),
    [
        ("running", NodeFate.STOPPED),  # exists, not managed: kept
        ("stopping", NodeFate.STOPPED),
        ("stopped", NodeFate.STOPPED),
        ("pending", NodeFate.STOPPED),
        ("shutting-down", NodeFate.TERMINATED),
        ("terminated", NodeFate.TERMINATED),
        (None, NodeFate.TERMINATED),  # EC2 forgot it (about an hour after termination)
    ],
)
def test_fate_from_ec2_state(state: str | None, fate: NodeFate) -> None:
    assert fate_from_state(state) is fate


def test_a_terminated_node_has_its_active_finding_archived_with_a_reason(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])  # DescribeInstanceInformation leaves it out
    flow.instances({NODE: "terminated"})
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    flow.import_ok(verify=False)  # a node that is gone has no patch state to read again
    report = run(stubbed, [NodeRequest(NODE, ts("2026-11-23T11:00:00Z"), event_status="non_compliant")])
    outcome = report.outcomes[NODE]
    assert (outcome.status, outcome.reason) == (RESOLVED, "node_terminated")
    (finding,) = imported
    assert finding["RecordState"] == "ARCHIVED"
    assert finding["Compliance"] == {"Status": "NOT_AVAILABLE"}  # ASFF: the resource was deleted
    assert finding["Title"] == TITLE_GONE
    assert finding["ProductFields"]["patch-securityhub/ArchiveReason"] == "node_terminated"
    assert not [k for k in finding["ProductFields"] if k.startswith("aws/")]  # Security Hub's own keys
    assert "Workflow" not in finding and "ProcessedAt" not in finding
    assert finding["CreatedAt"] == published(NODE)["CreatedAt"]
    assert finding_errors(finding) == []
    flow.assert_done()


def test_a_deregistered_hybrid_node_has_its_finding_archived_without_asking_ec2(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[HYBRID])
    flow.prior_findings([published(HYBRID)], [finding_id(ACCOUNT, REGION, HYBRID)])
    flow.import_ok(verify=False)
    report = run(stubbed, [NodeRequest(HYBRID)])
    assert report.outcomes[HYBRID].reason == "node_deregistered"
    assert imported[0]["ProductFields"]["patch-securityhub/ArchiveReason"] == "node_deregistered"
    flow.assert_done()


def test_a_gone_node_without_a_finding_of_ours_is_skipped(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])
    flow.instances({NODE: None})
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, NODE)])
    report = run(stubbed, [NodeRequest(NODE)])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (SKIPPED, "node_terminated")
    assert imported == []
    flow.assert_done()


def test_a_stopped_node_keeps_its_finding_and_the_sweep_refreshes_it(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])  # stopped: not listed
    flow.instances({NODE: "stopped"})
    flow.patch_states([patch_state_row(NODE)])  # SSM keeps its last patch state
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    flow.items(NODE)
    flow.import_ok()
    report = run(stubbed, [NodeRequest(NODE)])  # the sweep: a reconciliation
    assert report.outcomes[NODE].status == IMPORTED
    (finding,) = imported
    assert finding["RecordState"] == "ACTIVE"
    # What SSM no longer says of the node (it is not listed) is kept from the published finding.
    assert finding["ProductFields"]["patch-securityhub/PlatformName"] == "Amazon Linux"
    flow.assert_done()


def test_an_event_for_a_stopped_node_is_not_poison(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])
    flow.instances({NODE: "stopped"})
    flow.patch_states([patch_state_row(NODE)])
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    event_time = ts("2026-11-23T10:01:30Z")
    report = run(stubbed, [NodeRequest(NODE, event_time, event_status="non_compliant")])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (SKIPPED, "unchanged")
    assert imported == []
    flow.assert_done()


def test_a_stopped_node_never_scanned_is_skipped_not_quarantined(stubbed) -> None:
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])
    flow.instances({NODE: "stopped"})
    flow.patch_states([], ids=[NODE])
    report = run(stubbed, [NodeRequest(NODE)])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (SKIPPED, "node_stopped")
    flow.assert_done()


def test_ec2_unreadable_makes_only_the_unlisted_nodes_transient(stubbed) -> None:
    listed = "i-0123456789abcdef1"
    flow = Flow(stubbed)
    flow.node_information([info_row(listed)], ids=[NODE, listed])
    stubbed["ec2_stub"].add_client_error("describe_instances", "UnauthorizedOperation", http_status_code=403)
    flow.patch_states([compliant_row(listed)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, listed)])
    report = run(stubbed, [NodeRequest(NODE), NodeRequest(listed)])
    assert report.outcomes[NODE].status == TRANSIENT
    assert report.outcomes[NODE].code in TRANSIENT_REASONS
    assert (report.outcomes[listed].status, report.outcomes[listed].reason) == (
        SKIPPED,
        "compliant_no_finding",
    )
    flow.assert_done()


# --- events SSM's read has not caught up with ------------------------------------------------------------


def test_a_non_compliant_event_never_resolves_on_a_read_that_lags(stubbed, imported) -> None:
    event_time = ts("2026-11-23T11:00:00Z")  # later than the read's OperationEndTime (10:01)
    for attempt, status, reason in ((1, TRANSIENT, "read_behind_event"), (3, SKIPPED, "left_to_sweep")):
        flow = Flow(stubbed)
        flow.node_information([info_row(NODE)])
        flow.patch_states([compliant_row(NODE)])
        flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
        request = NodeRequest(NODE, event_time, event_status="non_compliant", attempt=attempt)
        outcome = run(stubbed, [request]).outcomes[NODE]
        assert (outcome.status, outcome.code) == (status, reason)
        flow.assert_done()
    assert imported == []  # never resolved


def test_a_read_from_a_later_operation_wins_over_the_event(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.node_information([info_row(NODE)])
    later = {"OperationStartTime": ts("2026-11-23T11:05:00Z"), "OperationEndTime": ts("2026-11-23T11:06:00Z")}
    flow.patch_states([compliant_row(NODE, Operation="Install", **later)])
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    flow.import_ok()
    request = NodeRequest(NODE, ts("2026-11-23T11:00:00Z"), event_status="non_compliant")
    assert run(stubbed, [request]).outcomes[NODE].status == RESOLVED  # the Install after the event
    assert imported[0]["RecordState"] == "ARCHIVED"
    flow.assert_done()


def test_the_findings_walk_skips_nodes_ssm_lists(stubbed) -> None:
    flow = Flow(stubbed)
    flow.node_information([info_row(NODE)])
    report = run(stubbed, [NodeRequest(NODE, only_if_unlisted=True)])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (SKIPPED, "listed_by_ssm")
    flow.assert_done()


# --- sweep requests -----------------------------------------------------------------------------------------


def test_a_sweep_request_round_trips_and_bad_ones_are_refused_with_one_reason() -> None:
    infos = parse_instance_information({"InstanceInformationList": [info_row(NODE), info_row(HYBRID)]})
    row = carried_finding(published(NODE))
    body = sweep_message(
        "s1",
        "nodes",
        [NODE, HYBRID],
        account=ACCOUNT,
        region=REGION,
        node_infos=infos,
        findings={NODE: row},
        findings_complete=True,
        read_at=NOW,
    )
    assert parse_message(body, account=ACCOUNT, region=REGION) == SweepRequest(
        "s1",
        "nodes",
        (NODE, HYBRID),
        node_infos=tuple(infos),
        findings={NODE: row},
        findings_complete=True,
        read_at=NOW,
    )
    assert len(body) < 2048  # 50 such nodes stay far below SQS's 256 KiB
    event = parse_message(json.dumps(compliance_event(NODE)), account=ACCOUNT, region=REGION)
    assert event.node_id == NODE and event.status == "non_compliant"
    document = json.loads(body)
    for mutate in (
        lambda d: d["detail"].update({"node-ids": [NODE + "\n"]}),
        lambda d: d["detail"].update({"node-ids": [NODE] * (SWEEP_IDS_PER_MESSAGE + 1)}),
        lambda d: d["detail"].update({"scope": "everything"}),
        lambda d: d.update({"detail": "x"}),
        lambda d: d["detail"].update({"findings-complete": "yes"}),
        lambda d: d["detail"]["node-rows"][0].update({"InstanceId": "i-0fffffffffffffff0"}),  # another node
        lambda d: d["detail"]["node-rows"][0].update({"IPAddress": "10.0.0.1"}),  # a field never carried
        lambda d: d["detail"]["node-rows"][0].update({"ComputerName": "x" * 257}),
        lambda d: d["detail"].update({"node-rows": {"InstanceId": NODE}}),
        lambda d: d["detail"]["findings"].update({"i-0fffffffffffffff0": row}),  # not one of node-ids
        lambda d: d["detail"]["findings"][NODE].update({"Title": "planted"}),  # a field never carried
        lambda d: d["detail"]["findings"][NODE].update({"RecordState": "x" * 600}),
        lambda d: d["detail"].update({"read-at": "yesterday"}),
        lambda d: d["detail"].update({"scope": "unlisted"}),
    ):
        bad = json.loads(json.dumps(document))
        mutate(bad)
        with pytest.raises(EventRejectedError) as refused:
            parse_message(json.dumps(bad), account=ACCOUNT, region=REGION)
        assert refused.value.reason == "malformed_sweep_request"
    with pytest.raises(EventRejectedError) as other:
        parse_message(body, account="999999999999", region=REGION)
    assert other.value.reason == "other_account"


def carried(node: str, *, finding: bool = True, complete: bool = True) -> Carried:
    (info,) = parse_instance_information({"InstanceInformationList": [info_row(node)]})
    row = carried_finding(published(node)) if finding else None
    return Carried(info=info, finding=row, findings_complete=complete)


def test_a_listed_node_the_sweep_carried_is_refreshed_without_listing_or_reading_findings(
    stubbed, imported
) -> None:
    flow = Flow(stubbed)  # no DescribeInstanceInformation, no GetFindings
    flow.patch_states([patch_state_row(NODE)])
    flow.items(NODE)
    flow.import_ok()
    report = run(stubbed, [NodeRequest(NODE, carried=carried(NODE))])
    assert report.outcomes[NODE].status == IMPORTED
    (finding,) = imported
    assert finding["CreatedAt"] == published(NODE)["CreatedAt"]  # the walked finding's, not now
    assert finding["ProductFields"]["patch-securityhub/PlatformName"] == "Amazon Linux"  # the carried row
    flow.assert_done()


def test_a_compliant_node_without_an_active_finding_in_a_complete_walk_reads_nothing_more(stubbed) -> None:
    flow = Flow(stubbed)
    flow.patch_states([compliant_row(NODE)])
    report = run(stubbed, [NodeRequest(NODE, carried=carried(NODE, finding=False))])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (SKIPPED, "compliant_no_finding")
    flow.assert_done()


@pytest.mark.parametrize("complete", [True, False])
def test_a_non_compliant_node_without_a_walked_finding_has_its_finding_read(
    stubbed, imported, complete: bool
) -> None:
    """Its archived finding (resolved before), or one an event imported after the walk, keeps its CreatedAt;
    and a walk that was not complete says nothing about the nodes it did not carry."""
    flow = Flow(stubbed)
    flow.patch_states([patch_state_row(NODE)])
    archived = {**published(NODE), "RecordState": "ARCHIVED", "Compliance": {"Status": "PASSED"}}
    flow.prior_findings([archived], [finding_id(ACCOUNT, REGION, NODE)])
    flow.items(NODE)
    flow.import_ok()
    report = run(stubbed, [NodeRequest(NODE, carried=carried(NODE, finding=False, complete=complete))])
    assert report.outcomes[NODE].status == IMPORTED
    assert imported[0]["CreatedAt"] == archived["CreatedAt"]
    flow.assert_done()


def test_an_unreadable_carried_finding_is_read_again(stubbed, imported) -> None:
    flow = Flow(stubbed)
    flow.patch_states([patch_state_row(NODE)])
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    flow.items(NODE)
    flow.import_ok()
    unreadable = Carried(info=carried(NODE).info, finding={"CreatedAt": "yesterday"}, findings_complete=True)
    report = run(stubbed, [NodeRequest(NODE, carried=unreadable)])
    assert report.outcomes[NODE].status == IMPORTED
    assert imported[0]["CreatedAt"] == published(NODE)["CreatedAt"]
    flow.assert_done()


def test_a_walked_findings_node_that_the_walk_did_not_list_is_asked_of_ssm_then_ec2(
    stubbed, imported
) -> None:
    """A walk is no proof that a node is gone (pages of a changing fleet): SSM is asked by id first."""
    flow = Flow(stubbed)
    flow.node_information([], ids=[NODE])
    flow.instances({NODE: "terminated"})
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])  # read whole: it is re-sent
    flow.import_ok(verify=False)
    left_over = NodeRequest(NODE, only_if_unlisted=True, carried=Carried(findings_complete=True))
    report = run(stubbed, [left_over])
    assert (report.outcomes[NODE].status, report.outcomes[NODE].reason) == (RESOLVED, "node_terminated")
    assert imported[0]["RecordState"] == "ARCHIVED"
    flow.assert_done()


def test_an_event_beside_a_sweep_request_makes_the_node_read_again(stubbed, imported) -> None:
    """The sweep said "no ACTIVE finding"; an event about the node in the same batch may be about a finding
    imported since, which must be read (and resolved) rather than taken as absent."""
    flow = Flow(stubbed)
    flow.node_information([info_row(NODE)])
    flow.patch_states([compliant_row(NODE)])
    flow.prior_findings([published(NODE)], [finding_id(ACCOUNT, REGION, NODE)])
    flow.import_ok()
    requests = [
        NodeRequest(NODE, carried=carried(NODE, finding=False)),
        NodeRequest(NODE, ts("2026-11-23T11:00:00Z"), event_status="compliant"),
    ]
    report = run(stubbed, requests)
    assert report.outcomes[NODE].status == RESOLVED
    flow.assert_done()


def test_two_sweeps_reads_of_a_node_stand_only_when_they_agree() -> None:
    first, other = carried(NODE), carried(NODE, finding=False)
    merged = _merge_requests([NodeRequest(NODE, carried=first), NodeRequest(NODE, carried=first)])
    assert merged[NODE].carried == first
    merged = _merge_requests([NodeRequest(NODE, carried=first), NodeRequest(NODE, carried=other)])
    assert merged[NODE].carried is None and merged[NODE].event_time is None


@pytest.mark.parametrize(
    ("age", "fresh"),
    [(timedelta(minutes=5), True), (timedelta(hours=2), False), (-timedelta(hours=1), False), (None, False)],
)
def test_what_a_sweep_carried_stands_only_while_it_is_fresh(age: timedelta | None, fresh: bool) -> None:
    """A request handed back for long or redriven from the DLQ is about nodes that may have changed."""
    (info,) = parse_instance_information({"InstanceInformationList": [info_row(NODE)]})
    request = SweepRequest(
        "s1", "nodes", (NODE,), node_infos=(info,), read_at=None if age is None else NOW - age
    )
    (node,) = sweep_requests(request, NOW)
    assert (node.carried is not None) is fresh
    assert node.carried is None or node.carried.info == info


class FakeSweepAws:
    """SSM, Security Hub, SQS and Lambda as the sweep calls them: pages by NextToken."""

    def __init__(self, node_pages: list[list[str]], finding_pages: list[list[str]]) -> None:
        self.node_pages, self.finding_pages = node_pages, finding_pages
        self.sent: list[dict[str, Any]] = []
        self.bodies: list[str] = []  # as sent
        self.invoked: list[dict[str, Any]] = []
        self.calls: list[str] = []

    @staticmethod
    def _page(pages: list[list[str]], token: str | None) -> tuple[list[str], str | None]:
        index = int(token) if token else 0
        return pages[index] if pages else [], str(index + 1) if index + 1 < len(pages) else None

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs.get("MaxResults") == 50
        self.calls.append("DescribeInstanceInformation")
        ids, token = self._page(self.node_pages, kwargs.get("NextToken"))
        return {
            "InstanceInformationList": [info_row(i) for i in ids],
            **({"NextToken": token} if token else {}),
        }

    def get_findings(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["MaxResults"] == 100
        assert kwargs["Filters"]["RecordState"] == [{"Value": "ACTIVE", "Comparison": "EQUALS"}]
        self.calls.append("GetFindings")
        ids, token = self._page(self.finding_pages, kwargs.get("NextToken"))
        return {"Findings": [published(i) for i in ids], **({"NextToken": token} if token else {})}

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.bodies.append(kwargs["MessageBody"])
        self.sent.append(json.loads(kwargs["MessageBody"]))
        return {"MessageId": str(len(self.sent))}

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.invoked.append({**kwargs, "Payload": json.loads(kwargs["Payload"])})
        return {"StatusCode": 202}

    def requests(self) -> list[SweepRequest]:
        return [parse_message(body, account=ACCOUNT, region=REGION) for body in self.bodies]


def sweep_runtime(aws: FakeSweepAws) -> sweep.SweepRuntime:
    config = SweepConfig(region=REGION, main_queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q")
    return sweep.SweepRuntime(config, aws, aws, aws, aws, JsonLogger("sweep"), sleep=no_sleep)


def ids(n: int, start: int = 0) -> list[str]:
    return [f"i-{i:017x}" for i in range(start, start + n)]


def test_a_sweep_walks_the_active_findings_then_every_node_and_carries_what_it_read() -> None:
    aws = FakeSweepAws([ids(50), ids(20, 50)], [ids(3, 68)])  # 68 and 69 are listed, 70 is not
    summary = sweep.run({}, LambdaContext(), sweep_runtime(aws))
    assert summary["action"] == "done"
    assert (summary["nodes"], summary["findings"], summary["messages"]) == (70, 3, 3)
    assert aws.calls == ["GetFindings", "DescribeInstanceInformation", "DescribeInstanceInformation"]
    first, second, left_over = aws.requests()  # each one is what the forwarder accepts
    assert (first.scope, first.node_ids, first.findings, first.findings_complete) == (
        "nodes",
        tuple(ids(50)),
        {},
        True,
    )
    assert [info.node_id for info in first.node_infos] == ids(50)
    assert first.node_infos[0].platform_name == "Amazon Linux"
    assert second.scope == "nodes" and second.findings_complete
    assert second.findings == {n: carried_finding(published(n)) for n in ids(2, 68)}
    assert first.read_at is not None and second.read_at == first.read_at
    # The walked finding of a node the walk did not list: refreshed if SSM, asked again, does not list it.
    assert (left_over.scope, left_over.node_ids, left_over.node_infos, left_over.findings) == (
        "findings",
        tuple(ids(1, 70)),
        (),
        {},
    )
    (request,) = sweep_requests(left_over, datetime.now(UTC))
    assert request.only_if_unlisted and request.carried is None


def test_a_foreign_copy_of_a_finding_is_not_carried() -> None:
    class Planted(FakeSweepAws):
        def get_findings(self, **kwargs: Any) -> dict[str, Any]:
            found = super().get_findings(**kwargs)
            for finding in found["Findings"]:
                finding["ProductFields"]["ProviderName"] = "someone else"
            return found

    aws = Planted([ids(2)], [ids(2)])
    sweep.run({}, LambdaContext(), sweep_runtime(aws))
    ((request),) = aws.requests()
    assert request.findings == {} and request.findings_complete  # read again by the forwarder (not own)


def continuation_of(aws: FakeSweepAws) -> dict[str, Any]:
    (invocation,) = aws.invoked
    assert invocation["InvocationType"] == "Event"
    aws.invoked.clear()
    return invocation["Payload"]


def test_a_sweep_out_of_time_continues_in_a_new_invocation_where_it_stopped() -> None:
    aws = FakeSweepAws([ids(50), ids(50, 50), ids(5, 100)], [ids(2, 99)])
    short = LambdaContext(remaining_ms=30_000)  # under the reserve: one page, then continue
    first = sweep.run({}, short, sweep_runtime(aws))
    assert (first["action"], first["phase"], first["messages"]) == ("continued", "nodes", 1)
    continuation = continuation_of(aws)
    assert continuation["continuation"] == {
        "sweep_id": first["sweep_id"],
        "phase": "nodes",
        "next_token": None,
        "part": 2,
    }
    (held,) = aws.requests()  # the walked findings do not travel: refreshed if unlisted, else in phase 2
    assert (held.scope, held.node_ids, held.findings) == ("findings", tuple(ids(2, 99)), {})
    second = sweep.run(continuation, short, sweep_runtime(aws))
    assert (second["action"], second["messages"]) == ("continued", 1)
    done = sweep.run(continuation_of(aws), LambdaContext(), sweep_runtime(aws))
    assert done["action"] == "done" and done["sweep_id"] == first["sweep_id"]
    nodes = [r for r in aws.requests() if r.scope == "nodes"]
    assert sorted(n for r in nodes for n in r.node_ids) == ids(105)
    # Phase 1 ran in another invocation: no request claims that a node without a finding has none.
    assert not any(r.findings_complete or r.findings for r in nodes)


def test_a_sweep_out_of_time_in_the_node_walk_sends_the_findings_it_holds() -> None:
    context = LambdaContext()

    class Slowing(FakeSweepAws):
        def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
            context.remaining_ms = 30_000  # the first page of nodes takes the invocation's time
            return super().describe_instance_information(**kwargs)

    aws = Slowing(
        [ids(50), ids(50, 50)], [ids(3, 48)]
    )  # 48 and 49 on the first page of nodes, 50 on the next
    assert sweep.run({}, context, sweep_runtime(aws))["action"] == "continued"
    listed, held = aws.requests()
    assert listed.scope == "nodes" and listed.findings_complete
    assert sorted(listed.findings) == ids(2, 48)
    assert (held.scope, held.node_ids) == ("findings", tuple(ids(1, 50)))
    assert sweep.run(continuation_of(aws), LambdaContext(), sweep_runtime(aws))["action"] == "done"
    (rest,) = aws.requests()[2:]
    assert rest.node_ids == tuple(ids(50, 50)) and not rest.findings_complete and not rest.findings


def test_a_sweep_stops_on_a_repeated_token_and_on_too_many_parts() -> None:
    class Repeating(FakeSweepAws):
        def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
            return {"InstanceInformationList": [info_row(NODE)], "NextToken": "same"}

    aws = Repeating([], [ids(2)])
    assert sweep.run({}, LambdaContext(), sweep_runtime(aws))["reason"] == "repeated_token"
    # The first page and the page that repeated the token, then the walked findings' nodes it never reached,
    # each to be reconciled (listed by the forwarder), then it stopped.
    assert [(r.scope, r.node_ids) for r in aws.requests()] == [
        ("nodes", (NODE,)),
        ("nodes", (NODE,)),
        ("nodes", tuple(ids(2))),
    ]
    runaway = {"continuation": {"sweep_id": "s", "phase": "nodes", "next_token": None, "part": 201}}
    assert (
        sweep.run(runaway, LambdaContext(), sweep_runtime(FakeSweepAws([], [])))["reason"] == "too_many_parts"
    )
    with pytest.raises(ValueError):
        sweep.run(
            {"continuation": {"sweep_id": "s", "phase": "x", "part": 1}}, LambdaContext(), sweep_runtime(aws)
        )


def test_a_repeated_token_in_the_findings_walk_still_walks_every_node() -> None:
    class Repeating(FakeSweepAws):
        def get_findings(self, **kwargs: Any) -> dict[str, Any]:
            return {"Findings": [published(NODE)], "NextToken": "same"}

    aws = Repeating([ids(3)], [])
    summary = sweep.run({}, LambdaContext(), sweep_runtime(aws))
    assert (summary["action"], summary["reason"], summary["nodes"]) == ("done", "repeated_token", 3)
    listed, left_over = aws.requests()
    assert listed.node_ids == tuple(ids(3)) and not listed.findings_complete  # the walk was not whole
    assert (left_over.scope, left_over.node_ids) == ("findings", (NODE,))


def test_a_page_of_the_longest_rows_fits_one_message_and_a_smaller_limit_splits_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class LongNames(FakeSweepAws):
        def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
            page = super().describe_instance_information(**kwargs)
            for row in page["InstanceInformationList"]:  # every field at its bound, 4 bytes a character
                row.update(
                    ComputerName="\U0001f600" * 256,
                    PlatformName="\U0001f600" * 128,
                    PlatformVersion="\U0001f600" * 64,
                )
            return page

    aws = LongNames([ids(50)], [ids(50)])
    assert sweep.run({}, LambdaContext(), sweep_runtime(aws))["action"] == "done"
    (request,) = aws.requests()  # unescaped UTF-8: the worst page stays under SQS's 256 KiB
    assert request.node_infos[0].computer_name == "\U0001f600" * 256 and len(request.findings) == 50
    monkeypatch.setattr(events, "MAX_BODY_BYTES", 40_000)
    aws = LongNames([ids(50)], [ids(50)])
    assert sweep.run({}, LambdaContext(), sweep_runtime(aws))["action"] == "done"
    requests = aws.requests()
    assert len(requests) > 1 and sorted(n for r in requests for n in r.node_ids) == ids(50)
    assert sorted(n for r in requests for n in r.findings) == ids(50)  # each node's finding went with it


# --- Security Hub's reads lag -------------------------------------------------------------------------------


def test_a_recent_compliant_event_without_a_visible_finding_is_retried_then_skipped(stubbed) -> None:
    event_time = ts("2026-11-23T11:59:00Z")  # a minute before NOW: the finding may not be visible yet
    for attempt, status, reason in (
        (1, TRANSIENT, "prior_not_visible"),
        (3, SKIPPED, "compliant_no_finding"),
    ):
        flow = Flow(stubbed)
        flow.node_information([info_row(NODE)])
        flow.patch_states([compliant_row(NODE, OperationEndTime=ts("2026-11-23T11:58:00Z"))])
        flow.prior_findings([], [finding_id(ACCOUNT, REGION, NODE)])
        request = NodeRequest(NODE, event_time, event_status="compliant", attempt=attempt)
        outcome = run(stubbed, [request]).outcomes[NODE]
        assert (outcome.status, outcome.code) == (status, reason)
        flow.assert_done()


def test_a_containers_own_import_beats_a_lagging_read(stubbed, imported) -> None:
    recent = RecentImports()
    mine = published(NODE)
    recent.remember(mine, mine["ProductArn"])
    flow = Flow(stubbed)
    flow.node_information([info_row(NODE)])
    later = {"OperationStartTime": ts("2026-11-23T11:00:00Z"), "OperationEndTime": ts("2026-11-23T11:01:00Z")}
    flow.patch_states([compliant_row(NODE, Operation="Install", **later)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, NODE)])  # GetFindings does not show it yet
    flow.import_ok()
    report = process_stubbed(
        stubbed,
        [NodeRequest(NODE, ts("2026-11-23T11:01:05Z"), event_status="compliant")],
        now=NOW,
        recent=recent,
    )
    assert report.outcomes[NODE].status == RESOLVED
    (resolution,) = imported
    assert resolution["CreatedAt"] == mine["CreatedAt"]  # the first import's, not now
    assert resolution["RecordState"] == "ARCHIVED"
    flow.assert_done()


def test_recent_imports_are_bounded_and_only_newer_copies_win() -> None:
    recent = RecentImports(capacity=2)
    findings = [published(f"i-{i:017x}") for i in range(3)]
    for finding in findings:
        recent.remember(finding, finding["ProductArn"])
    assert recent.newer_than(findings[0]["Id"], None) is None  # the oldest was dropped
    kept = recent.newer_than(findings[2]["Id"], None)
    assert kept is not None and kept.created_at == ts(findings[2]["CreatedAt"])
    fresher = parse_prior({**findings[2], "UpdatedAt": "2026-11-23T11:00:00.000Z"}, product_arn=None)
    assert recent.newer_than(findings[2]["Id"], fresher) is fresher
