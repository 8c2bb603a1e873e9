// The primitives the browser player needs, in plain JavaScript: SHA-256 (FIPS 180-4),
// HMAC (RFC 2104), HKDF (RFC 5869), the Ed25519 group (RFC 8032) and SPAKE2 over it
// as the `spake2` Python package computes it, and ChaCha20-Poly1305 (RFC 8439).
// Why not WebCrypto: crypto.subtle exists only in secure contexts (https:// or
// localhost), and a page a LAN host serves at http://<address>:<port>/ is not one.
// crypto.getRandomValues works everywhere, so keys are still random.
// Checked against `cryptography` and `spake2` by tests/unit/party/test_page_crypto.py.
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

  // HKDF-SHA256 (RFC 5869): 32 bytes unless told; SPAKE2 expands its inputs to 48.
  function hkdf(ikm, salt, info, length = 32) {
    const prk = hmac(salt.length ? salt : new Uint8Array(32), ikm);
    const out = new Uint8Array(length);
    let block = new Uint8Array(0);
    for (let i = 1, at = 0; at < length; i++, at += 32) {
      block = hmac(prk, concat(block, info, new Uint8Array([i])));
      out.set(block.subarray(0, Math.min(32, length - at)), at);
    }
    return out;
  }

  // -- Ed25519 group (RFC 8032 §5.1) --------------------------------------------------
  // Field arithmetic mod p = 2^255 - 19 with BigInt; points in extended coordinates
  // (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z.
  const P = 2n ** 255n - 19n;
  const L = 2n ** 252n + 27742317777372353535851937790883648493n; // the prime subgroup order
  const mod = (a) => { const r = a % P; return r < 0n ? r + P : r; };
  function pow(b, e) {
    let r = 1n;
    b = mod(b);
    while (e > 0n) { if (e & 1n) r = (r * b) % P; b = (b * b) % P; e >>= 1n; }
    return r;
  }
  const inv = (b) => pow(b, P - 2n);
  const fromLe = (bytes) => bytes.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
  const fromBe = (bytes) => bytes.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  function toLe(n, len) {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) { out[i] = Number(n & 0xffn); n >>= 8n; }
    return out;
  }
  const D = mod(-121665n * inv(121666n));
  const D2 = (2n * D) % P;
  const SQRT_M1 = pow(2n, (P - 1n) / 4n);
  const ZERO = [0n, 1n, 1n, 0n];

  // The even x for y (the caller checks the point is on the curve).
  function recoverX(y) {
    const xx = mod((y * y - 1n) * inv(D * y * y + 1n));
    let x = pow(xx, (P + 3n) / 8n);
    if (mod(x * x - xx) !== 0n) x = (x * SQRT_M1) % P;
    return x & 1n ? P - x : x;
  }
  const onCurve = (x, y) => mod(y * y - x * x - 1n - D * x * x * y * y) === 0n;
  const affine = (x, y) => [x, y, 1n, (x * y) % P];

  // Unified addition for a = -1 (Hisil et al. 2008, "add-2008-hwcd-3"): complete on
  // Ed25519, so doubling and the neutral element need no special case.
  function add([X1, Y1, Z1, T1], [X2, Y2, Z2, T2]) {
    const A = mod((Y1 - X1) * (Y2 - X2)), B = ((Y1 + X1) * (Y2 + X2)) % P;
    const C = (T1 * D2 % P) * T2 % P, Dd = (2n * Z1 * Z2) % P;
    const E = mod(B - A), F = mod(Dd - C), G = (Dd + C) % P, H = (B + A) % P;
    return [(E * F) % P, (G * H) % P, (F * G) % P, (E * H) % P];
  }
  function double([X1, Y1, Z1]) { // "dbl-2008-hwcd"
    const A = (X1 * X1) % P, B = (Y1 * Y1) % P, C = (2n * Z1 * Z1) % P;
    const E = mod((X1 + Y1) * (X1 + Y1) - A - B), G = mod(B - A), F = mod(G - C), H = mod(-A - B);
    return [(E * F) % P, (G * H) % P, (F * G) % P, (E * H) % P];
  }
  // n * pt for n >= 0, a fixed 4-bit window: 64 additions instead of about 126.
  function mul(pt, n) {
    const table = [ZERO, pt];
    for (let i = 2; i < 16; i++) table.push(add(table[i - 1], pt));
    let acc = ZERO;
    for (let shift = BigInt(Math.max(0, n.toString(16).length - 1) * 4); shift >= 0n; shift -= 4n) {
      acc = double(double(double(double(acc))));
      acc = add(acc, table[Number((n >> shift) & 15n)]);
    }
    return acc;
  }
  const isZero = ([X, Y, Z]) => mod(X) === 0n && mod(Y - Z) === 0n;
  function encode([X, Y, Z]) { // y little-endian, the top bit the sign (parity) of x
    const zi = inv(Z);
    const out = toLe((Y * zi) % P, 32);
    if ((X * zi) % P & 1n) out[31] |= 0x80;
    return out;
  }
  // A group element from 32 bytes: on the curve, not neutral, in the prime-order subgroup.
  function decode(bytes) {
    if (bytes.length !== 32) throw new Error("share: an Ed25519 element is 32 bytes");
    const n = fromLe(bytes);
    const y = (n & ((1n << 255n) - 1n)) % P;
    let x = recoverX(y);
    if ((x & 1n) !== n >> 255n) x = mod(P - x);
    if (!onCurve(x, y)) throw new Error("share: not a point on Ed25519");
    const pt = affine(x, y);
    if (isZero(pt) || !isZero(mul(pt, L))) throw new Error("share: not in the prime-order group");
    return pt;
  }
  const BASE_Y = (4n * inv(5n)) % P;
  const BASE = affine(recoverX(BASE_Y), BASE_Y);

  // -- SPAKE2 as python-spake2 computes it (the `spake2` package, Ed25519 group) -----
  // HKDF-SHA256 with an empty salt expands an input to 48 bytes, read big-endian:
  // the password scalar is that mod L (info "SPAKE2 pw"); an element M or N with no
  // known discrete log starts from y = that mod p (info "SPAKE2 arbitrary element",
  // seed "M" or "N"), steps y up until it is on the curve (x even), and takes 8 times
  // the point, which lands it in the prime-order subgroup.
  const te = new TextEncoder();
  const expand = (data, info) => fromBe(hkdf(data, new Uint8Array(0), te.encode(info), 48));
  function arbitraryElement(seed) {
    const y0 = expand(seed, "SPAKE2 arbitrary element") % P;
    for (let plus = 0n; ; plus++) {
      const y = (y0 + plus) % P, x = recoverX(y);
      if (!onCurve(x, y)) continue;
      const p8 = double(double(double(affine(x, y))));
      if (!isZero(p8)) return p8;
    }
  }
  let blinds = null; // {M, N}, made on first use (a few milliseconds)
  const SIDE_A = 0x41, SIDE_B = 0x42;
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // One side ("A" or "B") of an asymmetric SPAKE2 run. entropy: 64 random bytes (the
  // secret scalar is them read big-endian, mod L). .message goes to the other side
  // (side byte, then the element); .finish(theirs) returns the 32-byte shared key:
  // SHA-256 over SHA-256(password), SHA-256(idA), SHA-256(idB), A's element, B's
  // element and the shared element K.
  function spake2(side, password, idA, idB, entropy) {
    if (!blinds) blinds = { M: arbitraryElement(te.encode("M")), N: arbitraryElement(te.encode("N")) };
    if (entropy.length !== 64) throw new Error("entropy: 64 bytes");
    const isA = side === "A";
    const [blind, unblind] = isA ? [blinds.M, blinds.N] : [blinds.N, blinds.M];
    const pw = expand(password, "SPAKE2 pw") % L;
    const secret = fromBe(entropy) % L;
    const mine = encode(add(mul(BASE, secret), mul(blind, pw)));
    return {
      message: concat(new Uint8Array([isA ? SIDE_A : SIDE_B]), mine),
      finish(theirs) {
        if (theirs.length !== 33 || theirs[0] !== (isA ? SIDE_B : SIDE_A)) {
          throw new Error("share: not a SPAKE2 message from the other side");
        }
        const body = theirs.subarray(1);
        const elem = decode(body);
        if (equal(encode(elem), mine)) throw new Error("share: our own message reflected");
        const K = mul(add(elem, mul(unblind, (L - pw) % L)), secret);
        const [X, Y] = isA ? [mine, body] : [body, mine];
        return sha256(concat(sha256(password), sha256(idA), sha256(idB), X, Y, encode(K)));
      },
    };
  }

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

  root.lancrypto = { sha256, hmac, hkdf, spake2, seal, open, concat, equal };
})(typeof window !== "undefined" ? window : globalThis);
