"""The browser page's script crypto (examples/party/lancrypto.js) against Python:
SHA-256, HMAC, HKDF and ChaCha20-Poly1305 against ``cryptography``, and SPAKE2
against the ``spake2`` package the host pairs with. Runs the script in node
where it is installed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B

SCRIPT = Path(__file__).parents[3] / "examples" / "party" / "lancrypto.js"
PRELUDE = """
require(process.argv[1]);
const c = globalThis.lancrypto;
const hex = (b) => Buffer.from(b).toString("hex");
const b = (h) => new Uint8Array(Buffer.from(h, "hex"));
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tryHex = (f) => { try { return hex(f()); } catch (e) { return "error: " + e.message; } };
"""
PRIMITIVES = """
console.log(JSON.stringify(cases.map((i) => ({
  sha: hex(c.sha256(b(i.msg))),
  hmac: hex(c.hmac(b(i.key), b(i.msg))),
  hkdf: hex(c.hkdf(b(i.key), b(i.salt), b(i.info))),
  hkdf48: hex(c.hkdf(b(i.key), b(i.salt), b(i.info), 48)),
  sealed: hex(c.seal(b(i.key32), b(i.nonce), b(i.msg), b(i.aad))),
  opened: hex(c.open(b(i.key32), b(i.nonce), b(i.pysealed), b(i.aad))),
}))));
"""
# One SPAKE2 side per case, with the entropy Python used: its message, and its key
# from the other side's message (or the error it raised).
SPAKE2 = """
console.log(JSON.stringify(cases.map((i) => {
  const s = c.spake2(i.side, b(i.pw), b(i.idA), b(i.idB), b(i.entropy));
  return { message: hex(s.message), key: tryHex(() => s.finish(b(i.theirs))) };
})));
"""
ID_PLAYER, ID_HOST = b"lanwise-pairing player", b"lanwise-pairing host"
# Pinned from spake2 0.9 (python-spake2) with entropy 0x11 * 64: SPAKE2_A's message for
# passcode "123456" and lanwise's ids, so a change on either side shows here.
PINNED_A = "41680d44397df7172f6490bcb6e04ee00da68c158f692ec3953c98dff59c428b0c"

node_missing = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _node(driver: str, cases: list[dict[str, str]]) -> list[dict[str, str]]:
    done = subprocess.run(
        ["node", "-e", PRELUDE + driver, str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


def _entropy(seed: bytes) -> Callable[[int], bytes]:
    return lambda n: hashlib.shake_256(seed).digest(n)


@node_missing
def test_script_primitives_match_python() -> None:
    cases, want = [], []
    for n in (0, 1, 55, 56, 63, 64, 65, 130, 300):
        msg, key, salt, info = os.urandom(n), os.urandom(n % 70 + 1), os.urandom(n % 40), b"i"
        key32, nonce, aad = os.urandom(32), os.urandom(12), os.urandom(n % 20)
        sealed = ChaCha20Poly1305(key32).encrypt(nonce, msg, aad)
        cases.append(
            {
                "msg": msg.hex(), "key": key.hex(), "salt": salt.hex(), "info": info.hex(),
                "key32": key32.hex(), "nonce": nonce.hex(), "aad": aad.hex(),
                "pysealed": sealed.hex(),
            }
        )  # fmt: skip
        want.append(
            {
                "sha": hashlib.sha256(msg).hexdigest(),
                "hmac": hmac.new(key, msg, hashlib.sha256).hexdigest(),
                "hkdf": HKDF(hashes.SHA256(), 32, salt, info).derive(key).hex(),
                "hkdf48": HKDF(hashes.SHA256(), 48, salt, info).derive(key).hex(),
                "sealed": sealed.hex(),
                "opened": msg.hex(),
            }
        )
    assert _node(PRIMITIVES, cases) == want


def _case(side: str, pw: bytes, entropy: bytes, theirs: bytes) -> dict[str, str]:
    return {
        "side": side, "pw": pw.hex(), "idA": ID_PLAYER.hex(), "idB": ID_HOST.hex(),
        "entropy": entropy.hex(), "theirs": theirs.hex(),
    }  # fmt: skip


@node_missing
def test_script_spake2_matches_python_spake2_byte_for_byte() -> None:
    """Seeded entropy on both sides: the script's messages and keys are the package's."""
    pinned = SPAKE2_A(b"123456", idA=ID_PLAYER, idB=ID_HOST, entropy_f=lambda n: b"\x11" * n)
    assert pinned.start().hex() == PINNED_A
    cases: list[dict[str, Any]] = []
    want = []
    for run, (pw_a, pw_b) in enumerate(
        [(b"123456", b"123456"), (b"", b""), (b"000000", b"123456")]
    ):
        ea, eb = _entropy(b"A%d" % run), _entropy(b"B%d" % run)
        a = SPAKE2_A(pw_a, idA=ID_PLAYER, idB=ID_HOST, entropy_f=ea)
        b = SPAKE2_B(pw_b, idA=ID_PLAYER, idB=ID_HOST, entropy_f=eb)
        ma, mb = a.start(), b.start()
        cases += [_case("A", pw_a, ea(64), mb), _case("B", pw_b, eb(64), ma)]
        want += [{"message": ma.hex(), "key": a.finish(mb).hex()},
                 {"message": mb.hex(), "key": b.finish(ma).hex()}]  # fmt: skip
    cases.append(_case("A", b"123456", b"\x11" * 64, b""))
    got = _node(SPAKE2, cases)
    assert got[:-1] == want
    assert got[-1]["message"] == PINNED_A
    assert want[0]["key"] == want[1]["key"]  # the right passcode: one key
    assert want[4]["key"] != want[5]["key"]  # a wrong one: two


@node_missing
def test_script_player_pairs_with_the_python_host_only_with_the_passcode() -> None:
    """Random entropy in the script (SPAKE2_A) against the package's SPAKE2_B."""
    hosts = [SPAKE2_B(b"123456", idA=ID_PLAYER, idB=ID_HOST) for _ in range(2)]
    replies = [h.start() for h in hosts]
    cases = [
        _case("A", pw, os.urandom(64), r)
        for pw, r in zip([b"123456", b"654321"], replies, strict=True)
    ]
    got = _node(SPAKE2, cases)
    right, wrong = (
        h.finish(bytes.fromhex(g["message"])).hex() for h, g in zip(hosts, got, strict=True)
    )
    assert got[0]["key"] == right
    assert got[1]["key"] != wrong and not got[1]["key"].startswith("error")


@node_missing
@pytest.mark.parametrize(
    ("theirs", "why"),
    [
        (b"B" + bytes(32), "prime-order group"),  # y = 0: a point of order 4
        (b"B\x01" + bytes(31), "prime-order group"),  # the neutral element
        (b"B" + b"\x02" + bytes(31), "not a point"),  # y = 2 is off the curve
        (b"A" + bytes(32), "other side"),  # a message from our own side
        (b"B" + bytes(31), "other side"),  # too short
    ],
    ids=["order-4", "neutral", "off-curve", "own-side", "short"],
)
def test_script_spake2_refuses_broken_messages(theirs: bytes, why: str) -> None:
    [got] = _node(SPAKE2, [_case("A", b"1234", os.urandom(64), theirs)])
    assert got["key"].startswith("error: ") and why in got["key"]


@node_missing
def test_script_spake2_refuses_its_own_message_reflected() -> None:
    entropy = os.urandom(64)
    mine = SPAKE2_A(b"1234", idA=ID_PLAYER, idB=ID_HOST, entropy_f=lambda n: entropy).start()
    [got] = _node(SPAKE2, [_case("A", b"1234", entropy, b"B" + mine[1:])])
    assert got["key"] == "error: share: our own message reflected"
