"""The browser page's script crypto (examples/party/lancrypto.js) against Python's
``cryptography``: SHA-256, HMAC, HKDF, X25519, ChaCha20-Poly1305, and the whole
x25519 pairing. Runs the script in node where it is installed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCRIPT = Path(__file__).parents[3] / "examples" / "party" / "lancrypto.js"
DRIVER = """
require(process.argv[1]);
const c = globalThis.lancrypto;
const hex = (b) => Buffer.from(b).toString("hex");
const b = (h) => new Uint8Array(Buffer.from(h, "hex"));
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map((i) => ({
  sha: hex(c.sha256(b(i.msg))),
  hmac: hex(c.hmac(b(i.key), b(i.msg))),
  hkdf: hex(c.hkdf(b(i.key), b(i.salt), b(i.info))),
  pub: hex(c.x25519(b(i.priv), c.BASE)),
  shared: hex(c.x25519(b(i.priv), b(i.peer))),
  sealed: hex(c.seal(b(i.key32), b(i.nonce), b(i.msg), b(i.aad))),
  opened: hex(c.open(b(i.key32), b(i.nonce), b(i.pysealed), b(i.aad))),
}))));
"""


def _raw(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _pub(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_script_crypto_matches_python() -> None:
    cases, want = [], []
    for n in (0, 1, 55, 56, 63, 64, 65, 130, 300):
        msg, key, salt, info = os.urandom(n), os.urandom(n % 70 + 1), os.urandom(n % 40), b"i"
        priv, peer = X25519PrivateKey.generate(), X25519PrivateKey.generate()
        key32, nonce, aad = os.urandom(32), os.urandom(12), os.urandom(n % 20)
        sealed = ChaCha20Poly1305(key32).encrypt(nonce, msg, aad)
        cases.append(
            {
                "msg": msg.hex(), "key": key.hex(), "salt": salt.hex(), "info": info.hex(),
                "priv": _raw(priv).hex(), "peer": _pub(peer).hex(), "key32": key32.hex(),
                "nonce": nonce.hex(), "aad": aad.hex(), "pysealed": sealed.hex(),
            }
        )  # fmt: skip
        shared = priv.exchange(X25519PublicKey.from_public_bytes(_pub(peer)))
        want.append(
            {
                "sha": hashlib.sha256(msg).hexdigest(),
                "hmac": hmac.new(key, msg, hashlib.sha256).hexdigest(),
                "hkdf": HKDF(hashes.SHA256(), 32, salt, info).derive(key).hex(),
                "pub": _pub(priv).hex(),
                "shared": shared.hex(),
                "sealed": sealed.hex(),
                "opened": msg.hex(),
            }
        )
    done = subprocess.run(
        ["node", "-e", DRIVER, str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout) == want
