// Shared plumbing for checks.mjs: the check runner, the test relying party (a tiny HTTP
// server on loopback), the Chromium driver and independent ID-token verification with jose.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import * as jose from 'jose';

// ------------------------------------------------------------------ the check runner
export const results = { passed: 0, failed: 0, skipped: 0 };
const done = new Map(); // name -> true | false

function oneLine(s) {
  return String(s).replace(/\s+/g, ' ').trim().slice(0, 400);
}

export class Skip extends Error {}

/** Runs `fn` as the check `name`, bounded by `timeoutMs`; prints exactly one line. */
export async function check(name, fn, { timeoutMs = 25000, needs = [] } = {}) {
  for (const dep of needs) {
    if (done.get(dep) !== true) {
      results.failed++;
      done.set(name, false);
      console.log(`not ok - ${name}: prerequisite failed (${dep})`);
      return undefined;
    }
  }
  let timer;
  try {
    const value = await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    results.passed++;
    done.set(name, true);
    console.log(`ok - ${name}`);
    return value;
  } catch (e) {
    if (e instanceof Skip) {
      results.skipped++;
      done.set(name, 'skip');
      console.log(`skip - ${name}: ${oneLine(e.message)}`);
      return undefined;
    }
    results.failed++;
    done.set(name, false);
    const detail = e?.error ? `${e.error}${e.error_description ? ` (${e.error_description})` : ''}` : '';
    console.log(`not ok - ${name}: ${oneLine(e?.message ?? e)}${detail && !String(e?.message).includes(e.error) ? ` [${detail}]` : ''}`);
    if (process.env.INTEROP_DEBUG) console.error(e);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export function passed(name) {
  return done.get(name) === true;
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}
export function eq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// ------------------------------------------------------------------ the test relying party
/**
 * A relying party on 127.0.0.1:port: /cb (query callback), /form_post (POSTed response),
 * /logged-out (post-logout redirect), /backchannel (back-channel logout). Every request is
 * recorded; `waitFor` waits for one matching a predicate.
 */
export async function startRelyingParty(port) {
  const events = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, `http://127.0.0.1:${port}`);
      const event = {
        method: req.method,
        path: url.pathname,
        url: url.href,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        form: req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(body))
          : {},
        at: Date.now(),
      };
      events.push(event);
      for (const w of [...waiters]) {
        if (w.pred(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
      if (url.pathname === '/backchannel') {
        res.writeHead(200, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      const shown = Object.keys({ ...event.query, ...event.form }).join(', ');
      res.end(`<!DOCTYPE html><title>Test relying party</title><h1>Relying party: ${req.method} ${url.pathname}</h1><p>received: ${shown}</p>`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    events,
    /** Resolves with the first event (already recorded since `since`, or future) matching `pred`. */
    waitFor(pred, { timeoutMs = 15000, since = 0 } = {}) {
      const found = events.slice(since).find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`the relying party received nothing matching within ${timeoutMs / 1000} s`));
          }
        }, timeoutMs);
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// ------------------------------------------------------------------ Chromium
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser() {
  // playwright-core gives the browser a new, empty --user-data-dir of its own (a temp dir).
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, timeout: 30000 });
}

let shotCounter = 0;
export async function screenshot(page, dir, label) {
  shotCounter++;
  const file = path.join(dir, `${String(shotCounter).padStart(3, '0')}-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
  } catch {
    // a page that is navigating away cannot always be captured; the next step will be
  }
  return file;
}

/** What kind of page the browser shows. */
async function classify(page, rpOrigin) {
  const url = page.url();
  if (url.startsWith(rpOrigin)) return 'rp';
  if (await page.locator('input[name="password"]').count()) return 'login';
  if (await page.locator('button[name="decision"][value="approve"]').count()) return 'consent';
  if (await page.locator('form[action*="/logout"] button, form[action*="/logout/confirm"] button').count()) return 'logout';
  return 'other';
}

/**
 * Drives the browser from `url` (or from the current page when url is null) through sign-in,
 * consent and logout-confirmation pages until it reaches the relying party. Returns the pages
 * seen, in order, and the final URL. Fails after `timeoutMs` or on an unexpected page.
 */
export async function drive(page, url, { user, consent = 'approve', confirmLogout = true, rpOrigin, shots, label, timeoutMs = 20000, stopAt } = {}) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  if (url) await page.goto(url, { timeout: timeoutMs, waitUntil: 'load' });
  for (let step = 0; step < 12; step++) {
    if (Date.now() > deadline) throw new Error(`browser step timed out after ${timeoutMs / 1000} s at ${page.url()}`);
    const kind = await classify(page, rpOrigin);
    seen.push(kind);
    await screenshot(page, shots, `${label}-${step}-${kind}`);
    if (kind === 'rp' || (stopAt && stopAt(kind, page))) return { seen, url: page.url(), page };
    const before = page.url();
    const left = Math.max(1000, deadline - Date.now());
    const moved = page.waitForURL((u) => u.href !== before, { timeout: left, waitUntil: 'load' });
    if (kind === 'login') {
      if (!user) throw new Error(`unexpected sign-in page at ${before}`);
      await page.fill('input[name="username"]', user.username);
      await page.fill('input[name="password"]', user.password);
      await page.click('form button[type="submit"]');
    } else if (kind === 'consent') {
      if (!consent) throw new Error(`unexpected consent page at ${before}`);
      await page.click(`button[name="decision"][value="${consent}"]`);
    } else if (kind === 'logout') {
      if (!confirmLogout) throw new Error(`unexpected logout confirmation at ${before}`);
      await page.click('form button[type="submit"]');
    } else {
      // e.g. the form_post page submitting itself, or an error page
      const text = oneLine(await page.locator('body').innerText({ timeout: 2000 }).catch(() => ''));
      try {
        await page.waitForURL((u) => u.href !== before, { timeout: Math.min(left, 8000), waitUntil: 'load' });
      } catch {
        throw new Error(`stuck at ${before}: "${text.slice(0, 200)}"`);
      }
      continue;
    }
    await moved;
  }
  throw new Error(`too many pages without reaching the relying party (at ${page.url()})`);
}

// ------------------------------------------------------------------ tokens
export function jwksFor(jwksUri) {
  return jose.createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 0 });
}

/**
 * Verifies an ID token with jose alone: signature by kid against the JWKS, iss, aud, exp,
 * iat, and nonce when given. Returns { header, claims }.
 */
export async function verifyIdToken(idToken, { jwks, keys, issuer, audience, nonce, allowedAlgs }) {
  const header = jose.decodeProtectedHeader(idToken);
  assert(header.alg && header.alg !== 'none', `ID token alg is ${header.alg}`);
  assert(allowedAlgs.includes(header.alg), `ID token alg ${header.alg} is not in id_token_signing_alg_values_supported`);
  assert(header.kid, 'ID token header has no kid');
  const key = keys.find((k) => k.kid === header.kid);
  assert(key, `kid ${header.kid} is not in the JWKS`);
  if (key.alg) eq(key.alg, header.alg, 'JWKS key alg for the kid');
  const { payload } = await jose.jwtVerify(idToken, jwks, {
    issuer,
    audience,
    algorithms: [header.alg],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    clockTolerance: 5,
  });
  const now = Math.floor(Date.now() / 1000);
  assert(payload.exp > now, 'ID token expired');
  assert(payload.iat <= now + 5, 'ID token iat in the future');
  if (Array.isArray(payload.aud) && payload.aud.length > 1) eq(payload.azp, audience, 'azp with several audiences');
  if (nonce !== undefined) eq(payload.nonce, nonce, 'nonce');
  return { header, claims: payload };
}

export async function readJson(res, what) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${res.status}, not JSON: ${oneLine(text).slice(0, 120)}`);
  }
}

export function loadConfig(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export { jose };
