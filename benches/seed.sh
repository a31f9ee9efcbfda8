# Sourced by the load scripts after benches/serve.sh: five policies, one of each type, and an
# asset with 200 events they all look at. Sets `policy` (its identity), `asset`, and the `post`
# and `json` helpers.
post() { curl -sf -X POST "$base$1" -H "$auth" -H 'Content-Type: application/json' -d "$2"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
policy=$(post /archivist/v1/compliance_policies '{"compliance_type":"COMPLIANCE_SINCE","display_name":"since","event_display_type":"Close","time_period_seconds":86400}' | json '["identity"]')
post /archivist/v1/compliance_policies '{"compliance_type":"COMPLIANCE_CURRENT_OUTSTANDING","display_name":"current","event_display_type":"Open","closing_event_display_type":"Close"}' >/dev/null
post /archivist/v1/compliance_policies '{"compliance_type":"COMPLIANCE_PERIOD_OUTSTANDING","display_name":"period","event_display_type":"Open","closing_event_display_type":"Close","time_period_seconds":3600}' >/dev/null
post /archivist/v1/compliance_policies '{"compliance_type":"COMPLIANCE_DYNAMIC_TOLERANCE","display_name":"dynamic","event_display_type":"Open","closing_event_display_type":"Close","dynamic_window":2592000,"dynamic_variability":3}' >/dev/null
post /archivist/v1/compliance_policies '{"compliance_type":"COMPLIANCE_RICHNESS","display_name":"rich","richness_assertions":[{"or":["rad<7"]}]}' >/dev/null
asset=$(post /archivist/v2/assets '{"attributes":{"rad":"3"}}' | json '["identity"]')
for i in $(seq 1 100); do
    post "/archivist/v2/$asset/events" "{\"event_attributes\":{\"arc_display_type\":\"Open\",\"arc_correlation_value\":\"c$i\"},\"timestamp_declared\":\"2026-11-01T00:00:00Z\"}" >/dev/null
    post "/archivist/v2/$asset/events" "{\"event_attributes\":{\"arc_display_type\":\"Close\",\"arc_correlation_value\":\"c$i\"},\"timestamp_declared\":\"2026-11-01T00:$(printf %02d $((i % 60))):00Z\"}" >/dev/null
done
