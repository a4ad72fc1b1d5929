"""A real ActiveSync client for the tests: pyactivesync driven by JSON lines.

One process is one device. Each stdin line is a command
``{"id": n, "cmd": "...", ...}``; each stdout line answers one:
``{"id": n, "ok": true, "result": {...}, "exchanges": [...]}`` or
``{"id": n, "ok": false, "error": {...}, "exchanges": [...]}``.
``exchanges`` lists every HTTP answer the command saw (status, reason,
headers as sent, body base64 and its WBXML decoded), so a test can look
at the bytes as well as at what pyactivesync made of them.

Commands: open {url, username, password, deviceId, ca, user?, deviceType?,
timeout?, retries?, keepAlive?}, options, provision, foldersync, sync {folderId, syncKey?},
syncall {folderId, syncKey?}, ping {folders, heartbeat, timeout?, retries?, keepAlive?}, sendmail {to, subject, text},
repeat {times, what: {cmd...}} (runs one command many times, reporting each).
"""
from __future__ import annotations

import base64
import json
import os
import sys
import time
import traceback
from email.message import EmailMessage

# requests prefers these over verify= (TOOLCHAIN.md): the test's own CA must win.
for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(name, None)

import requests  # noqa: E402
from pyactivesync import Client  # noqa: E402
from pyactivesync import _http  # noqa: E402
from pyactivesync._wbxml import WBXMLReader, find, find_all, text_of  # noqa: E402
from pyactivesync.exceptions import ProvisionError, StatusError  # noqa: E402


client: Client | None = None
exchanges: list[dict] = []


def tree(nodes):
    """A decoded WBXML tree as JSON: [tag, text, children]; opaque data as base64."""
    out = []
    for name, value, children in nodes:
        if isinstance(value, (bytes, bytearray)):
            value = {"base64": base64.b64encode(bytes(value)).decode()}
        out.append([name, value, tree(children)])
    return out


def record(response, *args, **kwargs):
    body = response.content
    decoded = None
    if body and response.headers.get("content-type", "").startswith("application/vnd.ms-sync.wbxml"):
        try:
            decoded = tree(WBXMLReader(body).parse())
        except Exception as e:  # a broken body is a finding, not a driver crash
            decoded = {"error": repr(e)}
    exchanges.append(
        {
            "method": response.request.method,
            "url": response.request.url,
            "status": response.status_code,
            "reason": response.reason,
            "headers": [[k, v] for k, v in response.raw.headers.items()],
            "body": base64.b64encode(body).decode(),
            "wbxml": decoded,
            "seconds": response.elapsed.total_seconds(),
        }
    )


def last_nodes():
    body = base64.b64decode(exchanges[-1]["body"]) if exchanges else b""
    return WBXMLReader(body).parse() if body else []


def cmd_open(c):
    global client
    # pyactivesync resends Sync/FolderSync/Ping after a 5xx (3 times); `retries: 0` shows every answer.
    _http._RETRY_TOTAL = c.get("retries", 3)
    client = Client(
        server="unused.invalid",
        username=c["username"],
        password=c["password"],
        user=c.get("user"),
        device_id=c["deviceId"],
        device_type=c.get("deviceType", "pyactivesync"),
        verify_ssl=c["ca"],
        timeout=c.get("timeout", 60),
    )
    # pyactivesync builds https://<server>/Microsoft-Server-ActiveSync; the tests name the whole URL
    # (SOGo serves it under /SOGo/).
    client._transport.base_url = c["url"]
    client._transport.session.hooks["response"].append(record)
    if not c.get("keepAlive", True):
        # SOGo closes every connection after its answer without saying so; a client talking to it
        # straight must not reuse one (SOGo's own Apache setup turns keep-alive off for the same reason).
        session = client._transport.session
        session.headers["Connection"] = "close"
        session.hooks["response"].append(lambda response, *args, **kwargs: session.close())
    # Every command provisions first when it has not yet (pyactivesync's lazy Provision).
    client.provision = provision_leniently
    return {}


def cmd_options(c):
    t = client._transport
    params = {"User": client.user, "DeviceId": t.device_id, "DeviceType": t.device_type}
    r = t.session.options(t.base_url, params=params, timeout=t.timeout)
    r.raise_for_status()
    return {"status": r.status_code, "versions": r.headers.get("MS-ASProtocolVersions"), "commands": r.headers.get("MS-ASProtocolCommands")}


def provision_leniently():
    """pyactivesync's Provision, except that a server granting no PolicyKey is accepted, and a 5xx
    is tried again as often as pyactivesync retries its idempotent commands (a phone reconnects)."""
    for attempt in range(_http._RETRY_TOTAL + 1):
        try:
            return Client.provision(client)
        except ProvisionError:
            # SOGo's Provision is a stub (policy Status 2, no PolicyKey): carry on without a policy.
            client._provisioned = True
            return None
        except requests.exceptions.HTTPError as e:
            if e.response is None or e.response.status_code < 500 or attempt == _http._RETRY_TOTAL:
                raise
            time.sleep(_http._RETRY_BACKOFF_FACTOR * (2**attempt))


def cmd_provision(c):
    key = provision_leniently()
    nodes = last_nodes()
    policy = find(nodes, "Provision.Policy")
    return {
        "status": text_of(find(nodes, "Provision.Status")),
        "policyStatus": text_of(find(policy[2], "Provision.Status")) if policy else None,
        "policyKey": key,
    }


def cmd_foldersync(c):
    folders = client.list_folders()
    return {
        "syncKey": text_of(find(last_nodes(), "FolderHierarchy.SyncKey")),
        "folders": [{"id": f.id, "parentId": f.parent_id, "type": int(f.type), "name": f.name} for f in folders],
    }


def cmd_sync(c):
    result = client.sync_folder(c["folderId"], c.get("syncKey", "0"), window_size=c.get("windowSize", 25))
    return {
        "syncKey": result.sync_key,
        "status": text_of(find(last_nodes(), "AirSync.Status")),
        "added": [{"serverId": i.server_id, "subject": i.fields.get("Email.Subject")} for i in result.added],
        "moreAvailable": result.more_available,
    }


def cmd_syncall(c):
    """Sync until the server has nothing more to add: every subject seen, and the settled key
    (SOGo answers the first Sync with SyncKey "-1" and items only from the next one)."""
    key, subjects = c.get("syncKey", "0"), []
    for _ in range(c.get("rounds", 10)):
        got = cmd_sync({**c, "syncKey": key})
        subjects += [i["subject"] for i in got["added"]]
        if key != "0" and not got["added"] and not got["moreAvailable"]:
            return {"syncKey": got["syncKey"], "subjects": subjects}
        key = got["syncKey"]
    raise RuntimeError(f"Sync did not settle in {c.get('rounds', 10)} rounds (last key {key})")


def cmd_ping(c):
    started = time.monotonic()
    retries, _http._RETRY_TOTAL = _http._RETRY_TOTAL, c.get("retries", _http._RETRY_TOTAL)
    try:
        result = client.ping(c["folders"], heartbeat=c["heartbeat"], timeout=c.get("timeout", c["heartbeat"] + 120))
    finally:
        _http._RETRY_TOTAL = retries
    nodes = last_nodes()
    return {
        "status": result.status,
        "changed": result.changed_folder_ids,
        "heartbeat": text_of(find(nodes, "Ping.HeartbeatInterval")),
        "seconds": round(time.monotonic() - started, 3),
    }


def cmd_sendmail(c):
    msg = EmailMessage()
    msg["From"] = client.user
    msg["To"] = c["to"]
    msg["Subject"] = c["subject"]
    msg.set_content(c.get("text", "sent by the seatcap peer tests"))
    client.send_mail(msg, save_in_sent_items=False)
    return {}


COMMANDS = {
    "open": cmd_open,
    "options": cmd_options,
    "provision": cmd_provision,
    "foldersync": cmd_foldersync,
    "sync": cmd_sync,
    "syncall": cmd_syncall,
    "ping": cmd_ping,
    "sendmail": cmd_sendmail,
}


def error_of(e):
    if isinstance(e, requests.exceptions.HTTPError) and e.response is not None:
        return {"type": "HTTPError", "status": e.response.status_code, "message": str(e)}
    if isinstance(e, StatusError):
        return {"type": "StatusError", "command": e.command, "code": e.code, "message": str(e)}
    return {"type": type(e).__name__, "message": str(e), "trace": traceback.format_exc(limit=4)}


def run(c):
    fn = COMMANDS.get(c["cmd"])
    if fn is None:
        raise ValueError(f"unknown command {c['cmd']!r}")
    return fn(c)


def cmd_repeat(c):
    """The same command `times` times; one {ok, result|error, statuses} per run, never stopping early."""
    runs = []
    for _ in range(c["times"]):
        first = len(exchanges)
        try:
            runs.append({"ok": True, "result": run(c["what"])})
        except Exception as e:  # each failure is counted by the test
            runs.append({"ok": False, "error": error_of(e)})
        runs[-1]["statuses"] = [x["status"] for x in exchanges[first:]]
    return {"runs": runs}


COMMANDS["repeat"] = cmd_repeat


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        c = json.loads(line)
        exchanges.clear()
        answer = {"id": c.get("id")}
        try:
            answer.update(ok=True, result=run(c))
        except Exception as e:
            answer.update(ok=False, error=error_of(e))
        # A repeat reports its own statuses; its hundreds of bodies would only bloat the line.
        answer["exchanges"] = [] if c["cmd"] == "repeat" else exchanges
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
