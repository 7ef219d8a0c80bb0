"""A real Dovecot IMAP server on 127.0.0.1 for the IMAP tests, private to the test run.

Everything lives in one temporary folder: the configuration, a passwd-file with one
user, that user's maildir, Dovecot's runtime and state folders, its log and a
self-signed certificate. It listens for IMAP (with STARTTLS) and IMAPS on free
loopback ports, touches nothing of the system's Dovecot, and is stopped by the
process id it was started with.

Dovecot won't run its login processes as root, nor give mail to uid 0: started by
root, those run as ``nobody`` (which every Debian system has) and the folder is made
traversable for it; started by anyone else, everything runs as that user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "bounces"
PASSWORD = "s3cret-for-tests"
START_SECONDS = 20.0


@dataclass
class Dovecot:
    """A running Dovecot; see the module docstring."""

    root: Path
    imap_port: int
    imaps_port: int
    certificate: Path
    process: subprocess.Popen[bytes]

    def client(self) -> imaplib.IMAP4_SSL:
        """A logged-in IMAPS client that trusts the test certificate."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def new_folder(self, name: str, *messages: bytes) -> str:
        """Create folder ``name`` holding ``messages``, unseen; returns the name."""
        client = self.client()
        try:
            status, detail = client.create(name)
            assert status == "OK", detail
            for message in messages:
                status, detail = client.append(name, "", None, message)
                assert status == "OK", detail
        finally:
            client.logout()
        return name

    def seen(self, folder: str) -> list[bool]:
        """Whether each message of ``folder`` is flagged \\Seen, in order."""
        client = self.client()
        try:
            client.select(folder, readonly=True)
            status, data = client.fetch("1:*", "(FLAGS)")
            assert status == "OK", data
            return [b"\\Seen" in item for item in data if isinstance(item, bytes)]
        finally:
            client.logout()

    def stop(self) -> None:
        """Stop the server (the process this module started) and remove its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def dovecot_binary() -> str:
    """The dovecot program; skipped when missing, failed when missing in CI."""
    found = shutil.which("dovecot", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd; see .ci/system-deps)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return found


def start_dovecot() -> Dovecot:
    """Start Dovecot in a fresh folder; see the module docstring."""
    binary = dovecot_binary()
    root = Path(tempfile.mkdtemp(prefix="hookline-dovecot-"))
    try:
        return _start(binary, root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _start(binary: str, root: Path) -> Dovecot:
    if os.geteuid() == 0:
        account = pwd.getpwnam("nobody")
        root.chmod(0o755)  # the mail processes run as nobody and must reach the maildir
    else:
        account = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    home = root / "home" / USER
    home.mkdir(parents=True)
    if os.geteuid() == 0:
        for folder in (root / "home", home):
            os.chown(folder, account.pw_uid, account.pw_gid)
    for name in ("run", "state"):
        (root / name).mkdir()
    certificate, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(certificate),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    imap_port, imaps_port = _free_port(), _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{certificate}
ssl_key = <{key}
default_internal_user = {account.pw_name}
default_internal_group = {group}
default_login_user = {account.pw_name}
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {account.pw_uid}
mail_location = maildir:~/Maildir
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={root}/home/%u
}}
""",
        encoding="utf-8",
    )
    with (root / "output.txt").open("wb") as output:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    server = Dovecot(root, imap_port, imaps_port, certificate, process)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            server.client().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    report = "\n".join(
        path.read_text(errors="replace")
        for path in (root / "output.txt", root / "dovecot.log")
        if path.exists()
    )
    server.stop()
    raise RuntimeError(f"dovecot did not start:\n{report}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
