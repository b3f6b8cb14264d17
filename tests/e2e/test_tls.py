"""[http] tls: "auto" makes a self-signed certificate once and keeps it; given files are used."""
import argparse
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import free_port, wait_until  # noqa: E402

CONFIG = """
[installation]
name = "tls-e2e"
[http]
tls = {tls}
[ingest.synthetic]
count = 1
[analysis]
workers = 0
[output]
hls = false
"""


def https_health(port, cafile=None):
    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=5) as r:
        return json.loads(r.read())


def run_once(binary, tls, env):
    d = tempfile.mkdtemp(prefix="tls-e2e-")
    path = os.path.join(d, "i.toml")
    with open(path, "w") as f:
        f.write(CONFIG.format(tls=tls))
    port = free_port()
    proc = subprocess.Popen([binary, "run", path, "--headless", "--duration", "30", "--http",
                             f"127.0.0.1:{port}"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        return port, proc, wait_until(lambda: https_health(port)["status"] == "ok", 20,
                                      "HTTPS /healthz")
    except BaseException:
        proc.kill()
        raise


def stop(proc):
    proc.terminate()
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    return err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    env = dict(os.environ, XDG_DATA_HOME=tempfile.mkdtemp(prefix="tls-xdg-"))
    cert = os.path.join(env["XDG_DATA_HOME"], "tessera/tls/tls-e2e/cert.pem")

    port, proc, _ = run_once(b, '"auto"', env)
    # The certificate verifies against itself for 127.0.0.1 (it names that address).
    assert https_health(port, cafile=cert)["status"] == "ok"
    err = stop(proc)
    assert "https://127.0.0.1" in err, err
    first = hashlib.sha256(open(cert, "rb").read()).hexdigest()
    assert oct(os.stat(cert.replace("cert.pem", "key.pem")).st_mode & 0o777) == "0o600"

    # A second run keeps the same certificate.
    port, proc, _ = run_once(b, '"auto"', env)
    stop(proc)
    assert hashlib.sha256(open(cert, "rb").read()).hexdigest() == first, "certificate was replaced"

    # Given files are used as they are.
    key = cert.replace("cert.pem", "key.pem")
    port, proc, _ = run_once(b, f'{{ cert = "{cert}", key = "{key}" }}', env)
    assert https_health(port, cafile=cert)["status"] == "ok"
    stop(proc)
    print("ok")


if __name__ == "__main__":
    main()
