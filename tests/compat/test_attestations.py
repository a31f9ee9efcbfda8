"""Our package attestations judged by tools we did not write: the in-toto and securesystemslib
packages verify the DSSE envelope with the key GET /v1/keys publishes, securesystemslib derives
the same key id, rfc8785 (Trail of Bits) finds the JSON subject's canonical bytes, and a tampered
payload or another key fails in both."""

import base64
import copy
import hashlib
import json
import os
import sys
import urllib.request

import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from in_toto.models.metadata import Metadata
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

BASE = os.environ["COMPLIANCE_URL"]
TOKEN = os.environ["COMPLIANCE_TOKEN"]
checks = {"passed": 0, "failed": 0}


def call(method, path, body=None, raw=False):
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        data = response.read()
        return data if raw else json.loads(data)


def check(name, condition):
    checks["passed" if condition else "failed"] += 1
    print(("ok   " if condition else "FAIL ") + name)


def verifies(envelope, key):
    """Whether both libraries accept the envelope under the key (each on its own copy)."""
    results = []
    try:
        Metadata.from_dict(copy.deepcopy(envelope)).verify_signature(
            dict(key.to_dict(), keyid=key.keyid))
        results.append(True)
    except Exception:
        results.append(False)
    try:
        Envelope.from_dict(copy.deepcopy(envelope)).verify([key], 1)
        results.append(True)
    except Exception:
        results.append(False)
    return results


agent = call("POST", "/v1/agents", {"name": "attested-agent"})["id"]
call("POST", "/v1/audit", {"agent_id": agent, "action_type": "connector.called", "connector": "jira",
                           "policy_verdict": "PERMIT", "status": "success", "metadata": {"risk": 0.25}})
package = call("POST", "/v1/compliance", {"agent_id": agent})
envelope = call("GET", f"/v1/compliance/{package['id']}/attestation")
published = call("GET", "/v1/keys")["keys"][0]
key = SSlibKey.from_crypto(serialization.load_pem_public_key(published["pem"].encode()))

check("securesystemslib derives the published key id", key.keyid == published["key_id"])
check("the envelope names that key", envelope["signatures"][0]["keyid"] == key.keyid)
check("in-toto and securesystemslib verify the envelope", verifies(envelope, key) == [True, True])

payload = base64.b64decode(envelope["payload"])
statement = json.loads(payload)
check("the payload is an in-toto Statement v1", statement["_type"] == "https://in-toto.io/Statement/v1")
check("the payload is in RFC 8785 form", rfc8785.dumps(statement) == payload)
read = call("GET", f"/v1/compliance/{package['id']}")
read.pop("chain")
json_digest = hashlib.sha256(rfc8785.dumps(read)).hexdigest()
check("the JSON subject is the package's RFC 8785 digest",
      statement["subject"][0]["digest"]["sha256"] == json_digest)
pdf = call("GET", f"/v1/compliance/{package['id']}/pdf", raw=True)
check("the PDF subject is the downloaded PDF's digest",
      statement["subject"][1]["digest"]["sha256"] == hashlib.sha256(pdf).hexdigest())
check("the predicate names the version's seal",
      statement["predicate"]["content_sha256"] == package["content_sha256"])

tampered = copy.deepcopy(envelope)
statement["predicate"]["version"] += 1
tampered["payload"] = base64.b64encode(rfc8785.dumps(statement)).decode()
check("a tampered payload fails in both", verifies(tampered, key) == [False, False])
other = SSlibKey.from_crypto(ec.generate_private_key(ec.SECP256R1()).public_key())
relabelled = copy.deepcopy(envelope)
relabelled["signatures"][0]["keyid"] = other.keyid
check("another key fails in both", verifies(relabelled, other) == [False, False])

# Our own offline verifier on the files as an auditor downloads them, whole and with one byte
# of the PDF changed.
import subprocess
import tempfile

with tempfile.TemporaryDirectory() as folder:
    stem = os.path.join(folder, "compliance-attested-agent-v1")
    with open(stem + ".json", "w") as f:
        json.dump(call("GET", f"/v1/compliance/{package['id']}"), f, indent=2)
    with open(stem + ".pdf", "wb") as f:
        f.write(pdf)
    with open(stem + ".attestation.json", "w") as f:
        json.dump(envelope, f)
    with open(os.path.join(folder, "keys.json"), "w") as f:
        json.dump(call("GET", "/v1/keys"), f)
    verifier = [os.environ["COMPLIANCE_VERIFY"], "--keys", os.path.join(folder, "keys.json"), stem]
    check("compliance-verify passes the downloaded files", subprocess.run(verifier).returncode == 0)
    with open(stem + ".pdf", "wb") as f:
        f.write(pdf[:100] + bytes([pdf[100] ^ 1]) + pdf[101:])
    check("compliance-verify fails them with one PDF byte changed",
          subprocess.run(verifier, stdout=subprocess.DEVNULL).returncode == 1)

# The transparency log: a second version of the agent, and compliance-verify checking that
# each version's checkpoint is signed by the log key and that the second's trail extends the
# first's; an entry's inclusion proof, whole and with its leaf altered.
entry = call("POST", "/v1/audit", {"agent_id": agent, "action_type": "agent.deployed",
                                   "policy_verdict": "PERMIT", "status": "success"})
second = call("POST", "/v1/compliance", {"agent_id": agent})
with tempfile.TemporaryDirectory() as folder:
    stems = []
    for version in (package, second):
        stem = os.path.join(folder, f"compliance-attested-agent-v{version['version']}")
        with open(stem + ".json", "w") as f:
            json.dump(call("GET", f"/v1/compliance/{version['id']}"), f, indent=2)
        with open(stem + ".pdf", "wb") as f:
            f.write(call("GET", f"/v1/compliance/{version['id']}/pdf", raw=True))
        with open(stem + ".attestation.json", "w") as f:
            json.dump(call("GET", f"/v1/compliance/{version['id']}/attestation"), f)
        stems.append(stem)
    keys = os.path.join(folder, "keys.json")
    with open(keys, "w") as f:
        json.dump(call("GET", "/v1/keys"), f)
    log_key = os.path.join(folder, "log-key.json")
    with open(log_key, "w") as f:
        json.dump(call("GET", "/v1/log/key"), f)
    proof = os.path.join(folder, "proof.json")
    with open(proof, "w") as f:
        json.dump(call("GET", f"/v1/audit/{entry['id']}/proof?tree_size={second['log']['tree_size']}"), f)
    verifier = [os.environ["COMPLIANCE_VERIFY"], "--keys", keys, "--log-key", log_key,
                "--proof", proof, *stems]
    run = subprocess.run(verifier, capture_output=True, text=True)
    print(run.stdout, end="")
    check("compliance-verify: both checkpoints signed, the second trail extends the first, "
          "the entry is in the log", run.returncode == 0 and "extends the version before" in run.stdout)
    other_key = call("GET", "/v1/log/key")["verifier_key"].split("+")
    wrong = os.path.join(folder, "wrong-key.txt")
    with open(wrong, "w") as f:
        f.write(f"{other_key[0]}+{other_key[1]}+" + base64.b64encode(b"\x01" + bytes(32)).decode())
    check("compliance-verify fails them under another log key",
          subprocess.run([*verifier[:3], "--log-key", wrong, *verifier[5:]],
                         stdout=subprocess.DEVNULL).returncode == 1)
    with open(proof) as f:
        altered = json.load(f)
    altered["leaf_data"] = altered["leaf_data"].replace("agent.deployed", "agent.retired")
    with open(proof, "w") as f:
        json.dump(altered, f)
    check("compliance-verify fails an inclusion proof whose entry was altered",
          subprocess.run([os.environ["COMPLIANCE_VERIFY"], "--log-key", log_key, "--proof", proof],
                         stdout=subprocess.DEVNULL).returncode == 1)

# Consistency between a checkpoint held from before and the log's tree now.
with tempfile.TemporaryDirectory() as folder:
    held = call("GET", "/v1/log/checkpoint", raw=True).decode()
    since = os.path.join(folder, "held.checkpoint")
    with open(since, "w") as f:
        f.write(held)
    call("POST", "/v1/audit", {"agent_id": agent, "action_type": "agent.deployed"})
    size = int(held.split("\n")[1])
    consistency = os.path.join(folder, "consistency.json")
    with open(consistency, "w") as f:
        json.dump(call("GET", f"/v1/log/consistency?from={size}&to={size + 1}"), f)
    log_key = os.path.join(folder, "log-key.json")
    with open(log_key, "w") as f:
        json.dump(call("GET", "/v1/log/key"), f)
    verifier = [os.environ["COMPLIANCE_VERIFY"], "--log-key", log_key, "--since", since,
                "--consistency", consistency]
    check("compliance-verify: the log's tree now extends the checkpoint held",
          subprocess.run(verifier).returncode == 0)
    with open(consistency) as f:
        shifted = json.load(f)
    shifted["from"] -= 1
    with open(consistency, "w") as f:
        json.dump(shifted, f)
    check("compliance-verify fails a proof from another tree than the one held",
          subprocess.run(verifier, stdout=subprocess.DEVNULL).returncode == 1)

print(f"attestations: {checks['passed']} passed, {checks['failed']} failed")
sys.exit(1 if checks["failed"] else 0)
