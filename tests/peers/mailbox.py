"""Mail for the ActiveSync peer tests, straight into dovecot over IMAP.

    python mailbox.py '{"cmd": "prepare"|"deliver", "port": N, "user": "...", "password": "...", "subject": "..."}'

prepare: ENABLE CONDSTORE + SELECT INBOX once, so dovecot keeps the mod-sequences SOGo's Sync
keys are made of. deliver: APPEND one message to the INBOX. Prints {"ok": true, ...}.
"""
import imaplib
import json
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def main():
    c = json.loads(sys.argv[1])
    imap = imaplib.IMAP4("127.0.0.1", c["port"])
    imap.login(c["user"], c["password"])
    try:
        if c["cmd"] == "prepare":
            typ, data = imap._simple_command("ENABLE", "CONDSTORE")
            if typ != "OK":
                raise RuntimeError(f"ENABLE CONDSTORE: {typ} {data}")
            imap.select("INBOX")
            print(json.dumps({"ok": True}))
        elif c["cmd"] == "deliver":
            msg = EmailMessage()
            msg["From"] = "sender@example.org"
            msg["To"] = c["user"]
            msg["Subject"] = c["subject"]
            # Without a Date SOGo reports each Sync's own time as the mail's: the bytes would differ per call.
            msg["Date"] = formatdate(usegmt=True)
            msg["Message-ID"] = make_msgid(domain="peers.seatcap.test")
            msg.set_content(c.get("text", "delivered by the seatcap peer tests\n"))
            typ, data = imap.append("INBOX", None, None, msg.as_bytes().replace(b"\n", b"\r\n"))
            if typ != "OK":
                raise RuntimeError(f"APPEND: {typ} {data}")
            print(json.dumps({"ok": True, "response": data[0].decode()}))
        else:
            raise ValueError(f"unknown command {c['cmd']!r}")
    finally:
        imap.logout()


if __name__ == "__main__":
    main()
