// The primitives the browser player needs, in plain JavaScript: SHA-256 (FIPS 180-4),
// HMAC (RFC 2104), HKDF (RFC 5869), X25519 (RFC 7748) and ChaCha20-Poly1305 (RFC 8439).
// Why not WebCrypto: crypto.subtle exists only in secure contexts (https:// or
// localhost), and a page a LAN host serves at http://<address>:<port>/ is not one.
// crypto.getRandomValues works everywhere, so keys are still random.
// Checked against Python's `cryptography` by tests/unit/party/test_page_crypto.py.
"use strict";
(function (root) {
  const ror = (x, n) => (x >>> n) | (x << (32 - n));

  // SHA-256 constants: fractional parts of the square and cube roots of the first primes.
  const primes = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p)) primes.push(n);
  const frac = (x) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
  const K = primes.map((p) => frac(Math.cbrt(p)));
  const H0 = primes.slice(0, 8).map((p) => frac(Math.sqrt(p)));

  function sha256(msg) {
    const len = msg.length;
    const padded = new Uint8Array((((len + 9) + 63) >> 6) << 6);
    padded.set(msg);
    padded[len] = 0x80;
    const dv = new DataView(padded.buffer);
    dv.setUint32(padded.length - 8, Math.floor(len / 2 ** 29));
    dv.setUint32(padded.length - 4, (len << 3) >>> 0);
    const h = H0.slice();
    const w = new Uint32Array(64);
    for (let off = 0; off < padded.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + 4 * i);
      for (let i = 16; i < 64; i++) {
        const s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
      }
      let [a, b, c, d, e, f, g, k] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
        const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      [a, b, c, d, e, f, g, k].forEach((v, i) => { h[i] = (h[i] + v) >>> 0; });
    }
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    h.forEach((v, i) => ov.setUint32(4 * i, v));
    return out;
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function hmac(key, data) {
    if (key.length > 64) key = sha256(key);
    const k = new Uint8Array(64);
    k.set(key);
    const ipad = k.map((x) => x ^ 0x36), opad = k.map((x) => x ^ 0x5c);
    return sha256(concat(opad, sha256(concat(ipad, data))));
  }

  // HKDF-SHA256 for one 32-byte block of output (all lanwise derives).
  function hkdf(ikm, salt, info) {
    const prk = hmac(salt.length ? salt : new Uint8Array(32), ikm);
    return hmac(prk, concat(info, new Uint8Array([1])));
  }

  // -- X25519 -----------------------------------------------------------------------
  const P = 2n ** 255n - 19n;
  const mod = (a) => { const r = a % P; return r < 0n ? r + P : r; };
  function inv(b) {
    let r = 1n, e = P - 2n;
    b = mod(b);
    while (e > 0n) { if (e & 1n) r = (r * b) % P; b = (b * b) % P; e >>= 1n; }
    return r;
  }
  const fromLe = (bytes) => bytes.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
  function toLe(n, len) {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) { out[i] = Number(n & 0xffn); n >>= 8n; }
    return out;
  }
  function x25519(scalar, u) {
    const k = scalar.slice();
    k[0] &= 248; k[31] &= 127; k[31] |= 64;
    const n = fromLe(k);
    const uu = u.slice();
    uu[31] &= 127;
    const x1 = fromLe(uu) % P;
    let x2 = 1n, z2 = 0n, x3 = x1, z3 = 1n, swap = 0n;
    for (let t = 254n; t >= 0n; t--) {
      const bit = (n >> t) & 1n;
      if (swap ^ bit) { [x2, x3] = [x3, x2]; [z2, z3] = [z3, z2]; }
      swap = bit;
      const A = mod(x2 + z2), AA = (A * A) % P, B = mod(x2 - z2), BB = (B * B) % P;
      const E = mod(AA - BB), C = mod(x3 + z3), D = mod(x3 - z3);
      const DA = (D * A) % P, CB = (C * B) % P;
      x3 = mod((DA + CB) ** 2n);
      z3 = mod(x1 * mod((DA - CB) ** 2n));
      x2 = (AA * BB) % P;
      z2 = mod(E * mod(AA + 121665n * E));
    }
    if (swap) { [x2, x3] = [x3, x2]; [z2, z3] = [z3, z2]; }
    return toLe(mod(x2 * inv(z2)), 32);
  }
  const BASE = toLe(9n, 32);

  // -- ChaCha20-Poly1305 --------------------------------------------------------------
  function chachaBlock(key, counter, nonce) {
    const s = new Uint32Array(16);
    s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
    const kv = new DataView(key.buffer, key.byteOffset, 32);
    for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(4 * i, true);
    s[12] = counter;
    const nv = new DataView(nonce.buffer, nonce.byteOffset, 12);
    for (let i = 0; i < 3; i++) s[13 + i] = nv.getUint32(4 * i, true);
    const x = s.slice();
    const q = (a, b, c, d) => {
      x[a] += x[b]; x[d] = ror(x[d] ^ x[a], 16);
      x[c] += x[d]; x[b] = ror(x[b] ^ x[c], 20);
      x[a] += x[b]; x[d] = ror(x[d] ^ x[a], 24);
      x[c] += x[d]; x[b] = ror(x[b] ^ x[c], 25);
    };
    for (let i = 0; i < 10; i++) {
      q(0, 4, 8, 12); q(1, 5, 9, 13); q(2, 6, 10, 14); q(3, 7, 11, 15);
      q(0, 5, 10, 15); q(1, 6, 11, 12); q(2, 7, 8, 13); q(3, 4, 9, 14);
    }
    const out = new Uint8Array(64);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 16; i++) ov.setUint32(4 * i, (x[i] + s[i]) >>> 0, true);
    return out;
  }
  function chacha20(key, counter, nonce, data) {
    const out = new Uint8Array(data.length);
    for (let off = 0; off < data.length; off += 64) {
      const block = chachaBlock(key, counter++, nonce);
      for (let i = 0; i < 64 && off + i < data.length; i++) out[off + i] = data[off + i] ^ block[i];
    }
    return out;
  }
  const P1305 = 2n ** 130n - 5n;
  function poly1305(key, msg) {
    const r = fromLe(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
    const s = fromLe(key.subarray(16, 32));
    let acc = 0n;
    for (let off = 0; off < msg.length; off += 16) {
      const chunk = msg.subarray(off, off + 16);
      acc = ((acc + fromLe(chunk) + (1n << BigInt(8 * chunk.length))) * r) % P1305;
    }
    return toLe((acc + s) & (2n ** 128n - 1n), 16);
  }
  const pad16 = (n) => new Uint8Array((16 - (n % 16)) % 16);
  function macData(aad, ct) {
    return concat(aad, pad16(aad.length), ct, pad16(ct.length),
      toLe(BigInt(aad.length), 8), toLe(BigInt(ct.length), 8));
  }
  function seal(key, nonce, plaintext, aad = new Uint8Array(0)) {
    const polyKey = chachaBlock(key, 0, nonce).subarray(0, 32);
    const ct = chacha20(key, 1, nonce, plaintext);
    return concat(ct, poly1305(polyKey, macData(aad, ct)));
  }
  function open(key, nonce, sealed, aad = new Uint8Array(0)) {
    if (sealed.length < 16) throw new Error("tag: frame shorter than the tag");
    const ct = sealed.subarray(0, sealed.length - 16);
    const polyKey = chachaBlock(key, 0, nonce).subarray(0, 32);
    const want = poly1305(polyKey, macData(aad, ct));
    const tag = sealed.subarray(sealed.length - 16);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= want[i] ^ tag[i];
    if (diff) throw new Error("tag: authentication failed");
    return chacha20(key, 1, nonce, ct);
  }

  root.lancrypto = { sha256, hmac, hkdf, x25519, BASE, seal, open, concat };
})(typeof window !== "undefined" ? window : globalThis);
