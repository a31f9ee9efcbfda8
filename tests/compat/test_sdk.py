"""Drives the compliance API with the DataTrails SDK, unchanged, and checks every answer.

Every event carries a declared timestamp in the past and every check names a historical
`compliant_at`, so nothing sleeps. Prints "N passed, M failed" and exits non-zero on failure.
"""

import os
import sys
import traceback

from archivist.archivist import Archivist
from archivist.compliance_policy_requests import (
    CompliancePolicyCurrentOutstanding,
    CompliancePolicyDynamicTolerance,
    CompliancePolicyPeriodOutstanding,
    CompliancePolicyRichness,
    CompliancePolicySince,
)
from archivist.errors import ArchivistNotFoundError, ArchivistUnauthenticatedError

ARCH = Archivist(os.environ["COMPLIANCE_URL"], os.environ["COMPLIANCE_TOKEN"], max_time=30)
TESTS = []


def test(function):
    TESTS.append(function)
    return function


def check(value, expected, what):
    if value != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {value!r}")


def case_filter(case):
    """Each scenario's policy applies only to its own assets."""
    return [["attributes.compat_case=" + case]]


def asset(case, **attributes):
    attrs = {"arc_display_type": "Traffic Light", "compat_case": case, **attributes}
    return ARCH.assets.create(attrs=attrs, confirm=True)["identity"]


def event(asset_id, display_type, declared, correlation=None, sets=None):
    attrs = {"arc_display_type": display_type}
    if correlation is not None:
        attrs["arc_correlation_value"] = correlation
    props = {"operation": "Record", "behaviour": "RecordEvidence", "timestamp_declared": declared}
    return ARCH.events.create(asset_id, props, attrs, asset_attrs=sets, confirm=True)


def statement(asset_id, at, policy):
    answer = ARCH.compliance.compliant_at(asset_id, compliant_at=at)
    check(answer["compliant_at"], at, "compliant_at is echoed")
    mine = [s for s in answer["compliance"] if s["compliance_policy_identity"] == policy["identity"]]
    check(len(mine), 1, f"one statement for {policy['display_name']}")
    return answer, mine[0]


@test
def policies_of_every_type_are_created_read_listed_counted_and_deleted():
    created = [
        ARCH.compliance_policies.create(policy)
        for policy in (
            CompliancePolicySince(description="crud", display_name="crud since", asset_filter=case_filter("crud"),
                                  event_display_type="Maintenance Performed", time_period_seconds=86400),
            CompliancePolicyCurrentOutstanding(description="crud", display_name="crud current", asset_filter=case_filter("crud"),
                                               event_display_type="Maintenance Requests",
                                               closing_event_display_type="Maintenance Performed"),
            CompliancePolicyPeriodOutstanding(description="crud", display_name="crud period", asset_filter=case_filter("crud"),
                                              event_display_type="Maintenance Requests",
                                              closing_event_display_type="Maintenance Performed", time_period_seconds=3600),
            CompliancePolicyDynamicTolerance(description="crud", display_name="crud dynamic", asset_filter=case_filter("crud"),
                                             event_display_type="Maintenance Requests",
                                             closing_event_display_type="Maintenance Performed",
                                             dynamic_window=604800, dynamic_variability=0.5),
            CompliancePolicyRichness(description="crud", display_name="crud richness", asset_filter=case_filter("crud"),
                                     richness_assertions=[["rad<7", "rad=10"]]),
        )
    ]
    check(created[0]["time_period_seconds"], "86400", "seconds are written as strings")
    check(created[3]["dynamic_variability"], 0.5, "variability is a number")
    check(created[4]["richness_assertions"], [{"or": ["rad<7", "rad=10"]}], "assertions")
    for policy in created:
        check(ARCH.compliance_policies.read(policy["identity"]), policy, "read gives back the created policy")
    identities = {p["identity"] for p in ARCH.compliance_policies.list(page_size=2, props={"description": "crud"})}
    check(identities, {p["identity"] for p in created}, "list pages through all of them")
    check(ARCH.compliance_policies.count(props={"description": "crud"}), 5, "count")
    check(ARCH.compliance_policies.count(props={"compliance_type": "COMPLIANCE_RICHNESS", "description": "crud"}), 1, "count by type")
    deleted = ARCH.compliance_policies.delete(created[0]["identity"])
    check(deleted["identity"], created[0]["identity"], "delete answers the policy")
    try:
        ARCH.compliance_policies.read(created[0]["identity"])
        raise AssertionError("a deleted policy can still be read")
    except ArchivistNotFoundError:
        pass
    for policy in created[1:]:
        ARCH.compliance_policies.delete(policy["identity"])
    check(ARCH.compliance_policies.count(props={"description": "crud"}), 0, "all deleted")


@test
def since():
    policy = ARCH.compliance_policies.create(CompliancePolicySince(
        description="", display_name="since", asset_filter=case_filter("since"),
        event_display_type="Maintenance Performed", time_period_seconds=86400))
    light = asset("since")
    _, s = statement(light, "2026-01-01T00:00:00Z", policy)
    check((s["compliant"], s["reason"]), (False, "No events found"), "before any maintenance")
    event(light, "Maintenance Performed", "2026-01-01T00:00:00Z")
    _, s = statement(light, "2026-01-02T00:00:00Z", policy)
    check((s["compliant"], s["reason"]), (True, ""), "exactly at the limit")
    answer, s = statement(light, "2026-01-02T00:00:01Z", policy)
    check((s["compliant"], s["reason"]), (False, "Duration 86401s exceeds limit 86400s"), "one second late")
    check(answer["compliant"], False, "the asset is non-compliant")


@test
def current_outstanding():
    policy = ARCH.compliance_policies.create(CompliancePolicyCurrentOutstanding(
        description="", display_name="current", asset_filter=case_filter("current"),
        event_display_type="Maintenance Requests", closing_event_display_type="Maintenance Performed"))
    light = asset("current")
    event(light, "Maintenance Requests", "2026-02-01T00:00:00Z", correlation="req-1")
    event(light, "Maintenance Performed", "2026-02-01T02:00:00Z", correlation="req-1")
    _, s = statement(light, "2026-02-01T01:00:00Z", policy)
    check((s["compliant"], s["reason"]), (False, 'No closing event for Maintenance Requests "req-1"'), "open")
    _, s = statement(light, "2026-02-01T03:00:00Z", policy)
    check((s["compliant"], s["reason"]), (True, ""), "closed")


@test
def period_outstanding():
    policy = ARCH.compliance_policies.create(CompliancePolicyPeriodOutstanding(
        description="", display_name="period", asset_filter=case_filter("period"),
        event_display_type="Maintenance Requests", closing_event_display_type="Maintenance Performed",
        time_period_seconds=10800))
    light = asset("period")
    event(light, "Maintenance Requests", "2026-03-01T00:00:00Z", correlation="req-2")
    event(light, "Maintenance Performed", "2026-03-01T05:00:00Z", correlation="req-2")
    _, s = statement(light, "2026-03-01T02:00:00Z", policy)
    check(s["compliant"], True, "open for 2h of 3h")
    _, s = statement(light, "2026-03-01T04:00:00Z", policy)
    check(s["reason"], 'Maintenance Requests "req-2" is still open after 14400s, exceeding limit 10800s', "overdue")
    _, s = statement(light, "2026-03-01T06:00:00Z", policy)
    check(s["reason"], 'Maintenance Requests "req-2" was closed after 18000s, exceeding limit 10800s', "closed late")


@test
def dynamic_tolerance():
    strict = ARCH.compliance_policies.create(CompliancePolicyDynamicTolerance(
        description="", display_name="dynamic 1.5", asset_filter=case_filter("dynamic"),
        event_display_type="Maintenance Requests", closing_event_display_type="Maintenance Performed",
        dynamic_window=86400, dynamic_variability=1.5))
    lenient = ARCH.compliance_policies.create(CompliancePolicyDynamicTolerance(
        description="", display_name="dynamic 2.0", asset_filter=case_filter("dynamic"),
        event_display_type="Maintenance Requests", closing_event_display_type="Maintenance Performed",
        dynamic_window=86400, dynamic_variability=2.0))
    light = asset("dynamic")
    for n, seconds in enumerate([1, 2, 3, 20]):
        event(light, "Maintenance Requests", "2026-04-01T00:00:00Z", correlation=f"p{n}")
        event(light, "Maintenance Performed", f"2026-04-01T00:00:{seconds:02d}Z", correlation=f"p{n}")
    _, s = statement(light, "2026-04-01T01:00:00Z", strict)
    check(s["compliant"], False, "20s is 1.72 deviations out")
    check(s["reason"].startswith('Maintenance Requests "p3" took 20s, 1.72 standard deviations'), True, s["reason"])
    _, s = statement(light, "2026-04-01T01:00:00Z", lenient)
    check((s["compliant"], s["reason"]), (True, ""), "within 2.0 deviations")
    _, s = statement(light, "2026-04-03T00:00:00Z", strict)
    check(s["compliant"], True, "the pairs have left the window")


@test
def richness_sees_attributes_as_of_the_time_asked():
    policy = ARCH.compliance_policies.create(CompliancePolicyRichness(
        description="", display_name="richness", asset_filter=case_filter("richness"),
        richness_assertions=[["rad<7"]]))
    light = asset("richness", rad="3")
    event(light, "Geiger reading", "2026-05-01T00:00:00Z", sets={"rad": "9"})
    _, s = statement(light, "2026-05-01T00:00:00Z", policy)
    check((s["compliant"], s["reason"]), (True, ""), "the reading does not count at its own instant")
    _, s = statement(light, "2026-05-01T00:00:01Z", policy)
    check((s["compliant"], s["reason"]), (False, 'rad<7 failed: rad is "9"'), "after the reading")
    check(ARCH.assets.read(light)["attributes"]["rad"], "9", "the asset reads as now")


@test
def assets_and_events_list_and_count():
    light = asset("listing")
    for n in range(3):
        event(light, "Inspection", f"2026-06-01T00:00:0{n}Z")
    check(ARCH.events.count(asset_id=light), 3, "events count")
    check(len(list(ARCH.events.list(asset_id=light, page_size=2))), 3, "events page through")
    check(ARCH.assets.count(attrs={"compat_case": "listing"}), 1, "assets count by attribute")
    check([a["identity"] for a in ARCH.assets.list(attrs={"compat_case": "listing"})], [light], "assets list")


@test
def a_wrong_token_is_refused():
    stranger = Archivist(os.environ["COMPLIANCE_URL"], "cst_" + "0" * 64)
    try:
        stranger.compliance_policies.count()
        raise AssertionError("an unknown token was accepted")
    except ArchivistUnauthenticatedError:
        pass


def main():
    passed = failed = 0
    for function in TESTS:
        try:
            function()
            passed += 1
            print(f"ok     {function.__name__}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAILED {function.__name__}")
            traceback.print_exc()
    print(f"sdk compatibility: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
