"""Spans from the stock OpenTelemetry Python SDK and its OTLP/HTTP protobuf exporter, configured
only through the standard OTEL_* variables (run.sh sets them): GenAI tool calls of a registered
agent, a few spans in the OpenInference and OpenLLMetry dialects, spans that are no evidence, and
an agent nobody registered. Then our API must show exactly those calls, and the agent's next
package count them."""

import json
import os
import sys
import urllib.request

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.trace import Status, StatusCode

BASE = os.environ["COMPLIANCE_URL"]
TOKEN = os.environ["COMPLIANCE_TOKEN"]
checks = {"passed": 0, "failed": 0}


def call(method, path, body=None):
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def check(name, condition):
    checks["passed" if condition else "failed"] += 1
    print(("ok   " if condition else "FAIL ") + name)


assert os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
assert "Authorization" in os.environ["OTEL_EXPORTER_OTLP_HEADERS"]
agent = call("POST", "/v1/agents", {"name": "otel-triage-agent"})["id"]

# The exporter reads its endpoint, headers and compression from OTEL_*; nothing is passed here.
provider = TracerProvider(resource=Resource.create({"service.name": "otel-triage-agent"}))
exporter = OTLPSpanExporter()
provider.add_span_processor(BatchSpanProcessor(exporter))
tracer = provider.get_tracer("compat.otlp")

calls = {"crowdstrike": 3, "jira": 2}
with tracer.start_as_current_span("invoke_agent triage", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": agent,
        "gen_ai.agent.name": "otel-triage-agent"}):
    for tool, count in calls.items():
        for n in range(count):
            with tracer.start_as_current_span(f"execute_tool {tool}", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                    "gen_ai.agent.id": agent, "gen_ai.tool.call.id": f"call-{tool}-{n}",
                    "gen_ai.tool.call.arguments": json.dumps({"query": f"secret {n}"}),
                    "gen_ai.tool.call.result": "ok"}) as span:
                if tool == "jira" and n == 1:
                    span.set_status(Status(StatusCode.ERROR, "jira refused"))
    # Not evidence: an HTTP client span and a chain step.
    with tracer.start_as_current_span("GET /api", attributes={"http.request.method": "GET"}):
        pass
    with tracer.start_as_current_span("chain", attributes={"openinference.span.kind": "CHAIN"}):
        pass
# The other dialects, named by the resource's service.name.
with tracer.start_as_current_span("search", attributes={
        "openinference.span.kind": "TOOL", "tool.name": "vector-db", "input.value": "q"}):
    pass
with tracer.start_as_current_span("slack.tool", attributes={
        "traceloop.span.kind": "tool", "traceloop.entity.name": "slack"}):
    pass
provider.force_flush()

# An agent nobody registered: a service of its own.
rogue = TracerProvider(resource=Resource.create({"service.name": "shadow-agent"}))
rogue.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
with rogue.get_tracer("compat.otlp").start_as_current_span("execute_tool s3", attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "s3"}):
    pass
rogue.force_flush()
provider.shutdown()
rogue.shutdown()

trail = call("GET", f"/v1/audit?agent_id={agent}&limit=100")["entries"]
tools = [e for e in trail if e["action_type"] == "connector.called"]
by_connector = {}
for e in tools:
    by_connector[e["connector"]] = by_connector.get(e["connector"], 0) + 1
check("each tool call is one connector.called entry of the registered agent",
      by_connector == {"crowdstrike": 3, "jira": 2, "vector-db": 1, "slack": 1})
check("the agent's invocation is an entry", sum(e["action_type"] == "agent.invoked" for e in trail) == 1)
check("spans that are no evidence are not stored", len(trail) == 8)
check("a failed tool call is an error", sum(e["status"] == "error" for e in tools) == 1)
genai = [e for e in tools if e["metadata"].get("otel_dialect") == "gen_ai"]
check("the trace id is the correlation id",
      all(len(e["correlation_id"]) == 32 for e in genai) and len({e["correlation_id"] for e in genai}) == 1)
check("arguments are kept as digests only, by default",
      all("arguments_sha256" in e["metadata"] and "arguments" not in e["metadata"] for e in genai))
check("durations and declared times come from the span",
      all(e["duration_ms"] >= 0 and e["created_at"] for e in genai))

agents = call("GET", "/v1/agents?limit=100")["agents"]
shadow = [a for a in agents if a["name"] == "shadow-agent"]
check("an agent nobody registered is discovered", len(shadow) == 1 and shadow[0]["discovered"])
check("a registered agent is not", [a["discovered"] for a in agents if a["id"] == agent] == [False])

package = call("POST", "/v1/compliance", {"agent_id": agent})
graph = package["execution_graph"]
counted = {e["connector"]: e["count"] for e in graph["edges"] if e["operation"] == "connector.called"}
check("the package counts exactly those calls", counted == by_connector)
check("the package counts every entry", graph["total_actions"] == 8)
shadow_package = call("POST", "/v1/compliance", {"agent_id": shadow[0]["id"]})
check("the discovered agent's package says it is unregistered",
      shadow_package["agent"].get("discovered") is True)

print(f"{checks['passed']} passed, {checks['failed']} failed")
sys.exit(1 if checks["failed"] else 0)
