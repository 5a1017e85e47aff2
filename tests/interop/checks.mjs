// openid-client (OpenID-certified relying party), jose and headless Chromium against a live
// Keyward. Usage: node checks.mjs CONFIG.json (written by run.sh). Prints one line per check.
import * as client from 'openid-client';
import {
  assert, check, drive, eq, jose, jwksFor, launchBrowser, loadConfig, passed, readJson, results, screenshot, Skip,
  startRelyingParty, verifyIdToken,
} from './lib.mjs';

const cfg = loadConfig(process.argv[2]);
const issuer = cfg.issuer;
const C = cfg.clients;
const alice = cfg.users.alice;
const bob = cfg.users.bob;
const rpOrigin = cfg.rp;
const CB = `${cfg.rp}/cb`;
const FORM_POST = `${cfg.rp}/form_post`;
const LOGGED_OUT = `${cfg.rp}/logged-out`;
const BACKCHANNEL = `${cfg.rp}/backchannel`;
const insecure = { execute: [client.allowInsecureRequests] };
const seenIdTokens = []; // every ID token the run received, for the `alg: none` check

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rp = await startRelyingParty(cfg.rp_port);
let browser;
await check('Chromium starts (playwright-core driving /usr/bin/chromium, headless, fresh profile)', async () => {
  browser = await launchBrowser();
}, { timeoutMs: 40000 });
const shots = cfg.screenshots;

let meta; // OIDC discovery document
let keys = []; // JWKS keys
let jwks; // jose remote key set
let algs = [];

function configFor(c, auth) {
  const method = auth ?? (c.public ? 'none' : c.auth_method ?? 'client_secret_basic');
  const clientAuth = method === 'none' ? client.None()
    : method === 'client_secret_post' ? client.ClientSecretPost(c.client_secret)
      : client.ClientSecretBasic(c.client_secret);
  const config = new client.Configuration(meta, c.client_id, { token_endpoint_auth_method: method }, clientAuth);
  client.allowInsecureRequests(config);
  return config;
}

async function idCheck(idToken, audience, nonce) {
  seenIdTokens.push(idToken);
  return verifyIdToken(idToken, { jwks, keys, issuer, audience, nonce, allowedAlgs: algs });
}

async function post(url, form, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
    redirect: 'manual',
    signal: AbortSignal.timeout(10000),
  });
}
const basic = (c) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}` });

/** A code flow through the browser for client `c`: returns { tokens, claims, callback, seen, verifier, nonce }. */
async function codeFlow(page, c, { scope = 'openid profile email', user = alice, extra = {}, label, nonce = client.randomNonce(), exchange = true, consent = 'approve' } = {}) {
  const config = configFor(c);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const params = {
    redirect_uri: CB, scope, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    ...(nonce ? { nonce } : {}), ...extra,
  };
  const url = client.buildAuthorizationUrl(config, params);
  const since = rp.events.length;
  const { seen } = await drive(page, url.href, { user, rpOrigin, shots, label, consent });
  const callback = await rp.waitFor((e) => e.path === '/cb', { since, timeoutMs: 5000 });
  if (callback.query.error) {
    const err = new Error(`authorization error ${callback.query.error}: ${callback.query.error_description ?? ''}`);
    err.callback = callback;
    throw err;
  }
  eq(callback.query.state, state, 'state echoed');
  if (!exchange) return { callback, seen, verifier, nonce, state, config };
  const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce ?? undefined, idTokenExpected: scope.split(' ').includes('openid'),
  });
  let claims;
  if (tokens.id_token) claims = (await idCheck(tokens.id_token, c.client_id, nonce ?? undefined)).claims;
  return { tokens, claims, callback, seen, verifier, nonce, state, config };
}

/** A raw authorization request in the browser; returns the relying party's callback event or the page. */
async function rawAuthorize(page, query, { label, user, expectRp = true, timeoutMs = 15000 } = {}) {
  const url = `${meta.authorization_endpoint}?${new URLSearchParams(query)}`;
  const since = rp.events.length;
  const r = await drive(page, url, { user, rpOrigin, shots, label, timeoutMs, stopAt: expectRp ? undefined : (kind) => kind !== 'rp' });
  if (!expectRp) return r;
  const callback = await rp.waitFor((e) => e.path === '/cb' || e.path === '/form_post', { since, timeoutMs: 5000 });
  return { ...r, callback };
}

async function pkcePair() {
  const verifier = client.randomPKCECodeVerifier();
  return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier) };
}

async function redeemRaw(c, code, verifier, redirectUri = CB) {
  const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri };
  if (c.public) form.client_id = c.client_id;
  return post(meta.token_endpoint, form, c.public ? {} : basic(c));
}

// ------------------------------------------------------------------ admin API (set-up)
let adminToken;
async function admin(method, path, body) {
  if (!cfg.admin?.client_id) throw new Error('no admin service account (keyward admin service-account failed)');
  if (!adminToken) {
    const res = await post(`${cfg.base}/t/system/token`, { grant_type: 'client_credentials', scope: 'keyward:admin' }, basic(cfg.admin));
    const json = await readJson(res, 'admin token');
    assert(res.status === 200, `admin token: HTTP ${res.status} ${json.error ?? ''}`);
    adminToken = json.access_token;
  }
  const res = await fetch(`${cfg.base}/admin/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  if (res.status === 404 && !text.includes('{')) throw new Error(`the admin API has no ${method} ${path} (404)`);
  assert(res.ok, `admin API ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const ALICE_CLAIMS = {
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  locale: 'en-GB',
  address: { street_address: '1 Rabbit Hole', locality: 'Oxford', postal_code: 'OX1 1AA', country: 'GB' },
  phone_number: '+44 1865 000000',
  phone_number_verified: true,
};

// ================================================================== Config OP
await check('discovery: OpenID Provider metadata, field by field (openid-client)', async () => {
  const config = await client.discovery(new URL(issuer), C.web.client_id, undefined, client.ClientSecretBasic(C.web.client_secret), insecure);
  meta = config.serverMetadata();
  eq(meta.issuer, issuer, 'issuer');
  const under = (k) => {
    assert(typeof meta[k] === 'string', `${k} missing`);
    assert(meta[k].startsWith(`${issuer}/`), `${k} ${meta[k]} is not under the issuer`);
  };
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) under(k);
  algs = meta.id_token_signing_alg_values_supported ?? [];
  assert(algs.includes('RS256'), `RS256 not in id_token_signing_alg_values_supported ${JSON.stringify(algs)}`);
  assert(!algs.includes('none'), '`none` is listed for ID tokens');
  eq(JSON.stringify(meta.code_challenge_methods_supported), '["S256"]', 'code_challenge_methods_supported');
  for (const rt of ['code', 'id_token', 'id_token token']) assert(meta.response_types_supported?.includes(rt), `response_types_supported lacks ${rt}`);
  for (const m of ['query', 'fragment', 'form_post']) assert(meta.response_modes_supported?.includes(m), `response_modes_supported lacks ${m}`);
  assert(meta.subject_types_supported?.includes('public'), 'subject_types_supported lacks public');
  for (const s of ['openid', 'profile', 'email', 'address', 'phone']) assert(meta.scopes_supported?.includes(s), `scopes_supported lacks ${s}`);
  for (const g of ['authorization_code', 'client_credentials', 'refresh_token']) assert(meta.grant_types_supported?.includes(g), `grant_types_supported lacks ${g}`);
  for (const m of ['client_secret_basic', 'client_secret_post']) assert(meta.token_endpoint_auth_methods_supported?.includes(m), `token_endpoint_auth_methods_supported lacks ${m}`);
  for (const k of Object.keys(meta).filter((k) => k.endsWith('_alg_values_supported'))) {
    assert(!meta[k].includes('none'), `${k} lists none`);
  }
  eq(meta.authorization_response_iss_parameter_supported, true, 'authorization_response_iss_parameter_supported');
  for (const c of ['sub', 'iss', 'aud', 'exp', 'iat', 'email', 'name']) assert(meta.claims_supported?.includes(c), `claims_supported lacks ${c}`);
});

for (const [name, url] of [
  ['discovery: RFC 8414 at {issuer}/.well-known/oauth-authorization-server', `${issuer}/.well-known/oauth-authorization-server`],
  ['discovery: RFC 8414 at /.well-known/oauth-authorization-server/t/{slug}', `${cfg.base}/.well-known/oauth-authorization-server/t/${cfg.tenant}`],
]) {
  await check(name, async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    eq(res.status, 200, 'status');
    assert(res.headers.get('content-type')?.startsWith('application/json'), 'content-type is not JSON');
    const doc = await res.json();
    eq(doc.issuer, issuer, 'issuer');
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
      eq(doc[k], meta[k], k);
    }
    eq(JSON.stringify(doc.code_challenge_methods_supported), '["S256"]', 'code_challenge_methods_supported');
    // openid-client with the RFC 8414 algorithm
    const config = await client.discovery(new URL(issuer), C.service.client_id, undefined, client.ClientSecretBasic(C.service.client_secret), { ...insecure, algorithm: 'oauth2' });
    eq(config.serverMetadata().issuer, issuer, 'openid-client (oauth2 discovery) issuer');
  }, { needs: ['discovery: OpenID Provider metadata, field by field (openid-client)'] });
}

await check('discovery: another tenant has its own issuer and keys', async () => {
  const other = `${cfg.base}/t/${cfg.other_tenant}`;
  const doc = await (await fetch(`${other}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) })).json();
  eq(doc.issuer, other, 'issuer');
  const theirs = (await (await fetch(doc.jwks_uri)).json()).keys.map((k) => k.kid);
  const ours = (await (await fetch(meta.jwks_uri)).json()).keys.map((k) => k.kid);
  assert(!theirs.some((k) => ours.includes(k)), 'two tenants share a kid');
}, { needs: ['discovery: OpenID Provider metadata, field by field (openid-client)'] });

await check('jwks: kid, use and alg on every key, no private members', async () => {
  const res = await fetch(meta.jwks_uri, { signal: AbortSignal.timeout(5000) });
  eq(res.status, 200, 'status');
  const doc = await res.json();
  keys = doc.keys;
  assert(Array.isArray(keys) && keys.length > 0, 'no keys');
  const kids = new Set();
  for (const k of keys) {
    assert(k.kid, 'a key without kid');
    assert(!kids.has(k.kid), `duplicate kid ${k.kid}`);
    kids.add(k.kid);
    eq(k.use, 'sig', `use of ${k.kid}`);
    assert(k.alg && k.alg !== 'none', `alg of ${k.kid}: ${k.alg}`);
    for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) assert(!(p in k), `key ${k.kid} has private member ${p}`);
    await jose.importJWK(k, k.alg); // a usable public key
  }
  assert(keys.some((k) => k.alg === 'RS256'), 'no RS256 key');
  jwks = jwksFor(meta.jwks_uri);
}, { needs: ['discovery: OpenID Provider metadata, field by field (openid-client)'] });

const READY = { needs: ['discovery: OpenID Provider metadata, field by field (openid-client)', 'jwks: kid, use and alg on every key, no private members'] };

// ================================================================== token service
await check('client_credentials (openid-client, client_secret_basic; RFC 9068 token verified with jose)', async () => {
  const tokens = await client.clientCredentialsGrant(configFor(C.service), { scope: 'api:read' });
  assert(tokens.access_token, 'no access_token');
  eq(tokens.token_type.toLowerCase(), 'bearer', 'token_type');
  assert(tokens.expires_in > 0, 'expires_in');
  assert(!tokens.refresh_token, 'a refresh token for client_credentials');
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, { issuer, typ: 'at+jwt' });
  eq(payload.client_id, C.service.client_id, 'client_id claim');
  eq(payload.scope, 'api:read', 'scope claim');
  assert(protectedHeader.kid && protectedHeader.alg !== 'none', 'kid/alg');
}, READY);

await check('client_credentials with client_secret_post (openid-client)', async () => {
  const tokens = await client.clientCredentialsGrant(configFor(C.poster, 'client_secret_post'), { scope: 'api:read' });
  assert(tokens.access_token, 'no access_token');
}, READY);

await check('client_secret_post refused for a client registered for client_secret_basic', async () => {
  const res = await post(meta.token_endpoint, { grant_type: 'client_credentials', client_id: C.service.client_id, client_secret: C.service.client_secret });
  const body = await readJson(res, 'token');
  eq(res.status, 401, 'status');
  eq(body.error, 'invalid_client', 'error');
  // and openid-client sees the same
  try {
    await client.clientCredentialsGrant(configFor(C.service, 'client_secret_post'));
    throw new Error('openid-client got tokens');
  } catch (e) {
    eq(e.error, 'invalid_client', 'openid-client error');
  }
}, READY);

await check('client_credentials: a wrong secret is invalid_client (401, WWW-Authenticate: Basic)', async () => {
  const wrong = { ...C.service, client_secret: `wrong${C.service.client_secret}` };
  const res = await post(meta.token_endpoint, { grant_type: 'client_credentials' }, basic(wrong));
  eq(res.status, 401, 'status');
  eq((await readJson(res, 'token')).error, 'invalid_client', 'error');
  assert(/^Basic/i.test(res.headers.get('www-authenticate') ?? ''), `WWW-Authenticate: ${res.headers.get('www-authenticate')}`);
  let got;
  try {
    await client.clientCredentialsGrant(configFor(wrong));
  } catch (e) {
    got = e;
  }
  assert(got, 'openid-client got tokens with a wrong secret');
  const code = got.error ?? got.cause?.[0]?.parameters?.error ?? (await got.response?.clone().json().catch(() => ({})))?.error;
  eq(code, 'invalid_client', 'openid-client error');
}, READY);

// ------------------------------------------------------------------ admin API set-up
await check('admin API: set alice\'s profile, address and phone claims', async () => {
  await admin('PATCH', `/tenants/${cfg.tenant}/users/${alice.id}`, { claims: ALICE_CLAIMS, email_verified: true });
});
await check('admin API: register the back-channel logout URI of a client', async () => {
  const updated = await admin('PATCH', `/tenants/${cfg.tenant}/clients/${C.bcl.client_id}`, { backchannel_logout_uri: BACKCHANNEL });
  eq(updated.backchannel_logout_uri, BACKCHANNEL, 'backchannel_logout_uri');
});
await check('admin API: enable the password grant for the tenant', async () => {
  const t = await admin('PATCH', `/tenants/${cfg.tenant}`, { settings: { password_grant_enabled: true } });
  eq(t.settings?.password_grant_enabled, true, 'settings.password_grant_enabled');
});

// ------------------------------------------------------------------ password grant
let passwordSub;
await check('password grant (openid-client genericGrantRequest; ID token with openid)', async () => {
  let c = C.legacy;
  let user = alice;
  let iss = issuer;
  if (!passed('admin API: enable the password grant for the tenant')) {
    if (!cfg.demo_legacy) throw new Error('cannot enable the password grant: the admin API failed and there is no demo tenant');
    c = cfg.demo_legacy;
    user = { username: 'demo', password: 'demo-password' };
    iss = `${cfg.base}/t/demo`;
  }
  const m = iss === issuer ? meta : (await client.discovery(new URL(iss), c.client_id, undefined, undefined, insecure)).serverMetadata();
  const config = new client.Configuration(m, c.client_id, {}, client.ClientSecretBasic(c.client_secret));
  client.allowInsecureRequests(config);
  const tokens = await client.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope: 'openid profile offline_access' });
  assert(tokens.access_token, 'no access_token');
  assert(tokens.refresh_token, 'no refresh_token with offline_access');
  assert(tokens.id_token, 'no id_token with openid');
  if (iss === issuer) {
    const { claims } = await idCheck(tokens.id_token, c.client_id);
    passwordSub = claims.sub;
  }
  try {
    await client.genericGrantRequest(config, 'password', { username: user.username, password: `${user.password}x`, scope: 'openid' });
    throw new Error('a wrong password got tokens');
  } catch (e) {
    eq(e.error, 'invalid_grant', 'wrong password error');
  }
}, READY);

if (cfg.demo_legacy) {
  await check('password grant on the `serve --dev` demo tenant (demo legacy client)', async () => {
    const demoIssuer = `${cfg.base}/t/demo`;
    const c = cfg.demo_legacy;
    const config = await client.discovery(new URL(demoIssuer), c.client_id, undefined, client.ClientSecretBasic(c.client_secret), insecure);
    const tokens = await client.genericGrantRequest(config, 'password', { username: 'demo', password: 'demo-password', scope: 'openid profile' });
    assert(tokens.access_token && tokens.id_token, 'tokens');
    const demoJwks = jwksFor(config.serverMetadata().jwks_uri);
    const { payload } = await jose.jwtVerify(tokens.id_token, demoJwks, { issuer: demoIssuer, audience: c.client_id });
    seenIdTokens.push(tokens.id_token);
    assert(payload.sub, 'sub');
  }, READY);
}

// ================================================================== browser flows (Basic OP)
const ctxA = await browser.newContext(); // alice's browser
const pageA = await ctxA.newPage();
pageA.setDefaultTimeout(15000);
let main; // the first code flow's result

main = await check('code + PKCE through Chromium: sign-in page, consent, callback (openid-client)', async () => {
  const r = await codeFlow(pageA, C.web, { scope: 'openid profile email address phone offline_access', label: 'code-pkce' });
  assert(r.seen.includes('login'), `no sign-in page (pages: ${r.seen.join(' → ')})`);
  assert(r.seen.includes('consent'), `no consent page for a third-party client (pages: ${r.seen.join(' → ')})`);
  eq(r.callback.query.iss, issuer, 'iss in the authorization response (RFC 9207)');
  assert(r.tokens.access_token && r.tokens.id_token, 'tokens');
  assert(r.tokens.refresh_token, 'no refresh token with offline_access');
  return r;
}, { ...READY, timeoutMs: 40000 });
const MAIN = 'code + PKCE through Chromium: sign-in page, consent, callback (openid-client)';

await check('ID token verified independently with jose (signature by kid, iss, aud, nonce, exp)', async () => {
  const { claims, header } = await idCheck(main.tokens.id_token, C.web.client_id, main.nonce);
  assert(claims.auth_time, 'no auth_time');
  assert(header.kid, 'no kid');
  // a tampered payload must not verify
  const [h, p, s] = main.tokens.id_token.split('.');
  const forged = JSON.parse(Buffer.from(p, 'base64url'));
  forged.sub = 'someone-else';
  let rejected = false;
  try { await jose.jwtVerify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`, jwks); } catch { rejected = true; }
  assert(rejected, 'a tampered ID token verified');
}, { needs: [MAIN] });

await check('nonce echoed in the ID token', async () => {
  eq(main.claims.nonce, main.nonce, 'nonce');
}, { needs: [MAIN] });

await check('ID token claims: aud, at_hash, auth_time, sid, amr; sub stable across grants', async () => {
  const c = main.claims;
  eq(Array.isArray(c.aud) ? c.aud.includes(C.web.client_id) : c.aud === C.web.client_id, true, 'aud holds the client');
  const hdr = jose.decodeProtectedHeader(main.tokens.id_token);
  const hash = { RS256: 'SHA-256', ES256: 'SHA-256', PS256: 'SHA-256', EdDSA: 'SHA-512' }[hdr.alg];
  if (c.at_hash && hash) {
    const d = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(main.tokens.access_token)));
    eq(c.at_hash, Buffer.from(d.slice(0, d.length / 2)).toString('base64url'), 'at_hash');
  }
  assert(typeof c.auth_time === 'number', 'auth_time');
  assert(c.sid, 'no sid (needed for back-channel logout)');
  if ('amr' in c) assert(Array.isArray(c.amr) && c.amr.length, `amr ${JSON.stringify(c.amr)}`);
  if (passwordSub) eq(c.sub, passwordSub, 'sub of the code flow vs the password grant (public subject)');
}, { needs: [MAIN] });

await check('ID token signature and kid: the kid names a JWKS key of the signing alg, RS256 available', async () => {
  const hdr = jose.decodeProtectedHeader(main.tokens.id_token);
  const key = keys.find((k) => k.kid === hdr.kid);
  assert(key, 'kid not in JWKS');
  eq(key.alg, hdr.alg, 'key alg');
  await jose.compactVerify(main.tokens.id_token, await jose.importJWK(key, key.alg));
}, { needs: [MAIN] });

await check('userinfo (openid-client fetchUserInfo, subject checked)', async () => {
  const info = await client.fetchUserInfo(main.config, main.tokens.access_token, main.claims.sub);
  eq(info.sub, main.claims.sub, 'sub');
  eq(info.email, alice.email, 'email');
}, { needs: [MAIN] });

const ui = async (how) => {
  const t = main.tokens.access_token;
  if (how === 'GET') return fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t}` }, signal: AbortSignal.timeout(5000) });
  if (how === 'POST header') return fetch(meta.userinfo_endpoint, { method: 'POST', headers: { authorization: `Bearer ${t}` }, signal: AbortSignal.timeout(5000) });
  return post(meta.userinfo_endpoint, { access_token: t });
};
for (const how of ['GET', 'POST header', 'POST body']) {
  await check(`userinfo by ${how === 'GET' ? 'GET' : how === 'POST header' ? 'POST with the Authorization header' : 'POST with access_token in the form body'}`, async () => {
    const res = await ui(how);
    eq(res.status, 200, 'status');
    const info = await res.json();
    eq(info.sub, main.claims.sub, 'sub');
  }, { needs: [MAIN] });
}

await check('userinfo: a bad token is 401 with WWW-Authenticate: Bearer error="invalid_token"', async () => {
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: 'Bearer not-a-token' }, signal: AbortSignal.timeout(5000) });
  eq(res.status, 401, 'status');
  const h = res.headers.get('www-authenticate') ?? '';
  assert(/^Bearer/i.test(h) && h.includes('invalid_token'), `WWW-Authenticate: ${h}`);
}, READY);

await check('claims for scopes profile, email, address, phone (userinfo)', async () => {
  const info = await (await ui('GET')).json();
  eq(info.preferred_username, 'alice', 'preferred_username (profile)');
  eq(info.email, alice.email, 'email');
  assert('email_verified' in info, 'email_verified missing');
  if (!passed("admin API: set alice's profile, address and phone claims")) throw new Error('the user claims could not be set (admin API)');
  eq(info.name, ALICE_CLAIMS.name, 'name (profile)');
  eq(info.given_name, ALICE_CLAIMS.given_name, 'given_name (profile)');
  eq(info.family_name, ALICE_CLAIMS.family_name, 'family_name (profile)');
  assert(info.address && typeof info.address === 'object', `address (address): ${JSON.stringify(info.address)}`);
  eq(info.address.locality, 'Oxford', 'address.locality');
  eq(info.phone_number, ALICE_CLAIMS.phone_number, 'phone_number (phone)');
  eq(info.phone_number_verified, true, 'phone_number_verified (phone)');
}, { needs: [MAIN] });

await check('claims follow the scopes: openid alone gives no email, address or phone', async () => {
  const r = await codeFlow(pageA, C.spa, { scope: 'openid', label: 'scope-openid-only' });
  const info = await client.fetchUserInfo(r.config, r.tokens.access_token, r.claims.sub);
  for (const k of ['email', 'address', 'phone_number', 'name']) assert(!(k in info), `userinfo has ${k} for scope openid`);
}, { needs: [MAIN], timeoutMs: 30000 });

// ------------------------------------------------------------------ refresh, introspection, revocation
await check('refresh with rotation (openid-client refreshTokenGrant)', async () => {
  const first = main.tokens.refresh_token;
  const second = await client.refreshTokenGrant(main.config, first);
  assert(second.access_token, 'no access token');
  assert(second.refresh_token && second.refresh_token !== first, 'the refresh token was not rotated');
  if (second.id_token) await idCheck(second.id_token, C.web.client_id);
  const third = await client.refreshTokenGrant(main.config, second.refresh_token);
  assert(third.refresh_token && third.refresh_token !== second.refresh_token, 'not rotated on the second use');
  main.rotated = { first, second, third };
}, { needs: [MAIN] });

await check('refresh token reuse: the old token is invalid_grant and the newest dies too', async () => {
  const { first, third } = main.rotated;
  try {
    await client.refreshTokenGrant(main.config, first.refresh_token ?? first);
    throw new Error('a rotated-out refresh token worked');
  } catch (e) {
    eq(e.error, 'invalid_grant', 'reuse error');
  }
  try {
    await client.refreshTokenGrant(main.config, third.refresh_token);
    throw new Error('the newest refresh token still works after reuse');
  } catch (e) {
    eq(e.error, 'invalid_grant', 'newest after reuse');
  }
  const intro = await client.tokenIntrospection(main.config, third.access_token);
  eq(intro.active, false, 'the family\'s access token after reuse');
}, { needs: ['refresh with rotation (openid-client refreshTokenGrant)'] });

let fresh; // a second set of tokens for introspection and revocation
await check('introspection (openid-client tokenIntrospection)', async () => {
  const r = await codeFlow(pageA, C.web, { scope: 'openid profile offline_access', label: 'introspection' });
  fresh = r;
  const intro = await client.tokenIntrospection(r.config, r.tokens.access_token);
  eq(intro.active, true, 'active');
  eq(intro.client_id, C.web.client_id, 'client_id');
  eq(intro.sub, r.claims.sub, 'sub');
  assert(intro.scope?.split(' ').includes('openid'), `scope ${intro.scope}`);
  assert(intro.exp > Date.now() / 1000, 'exp');
  eq(intro.iss ?? issuer, issuer, 'iss');
  const rt = await client.tokenIntrospection(r.config, r.tokens.refresh_token);
  eq(rt.active, true, 'refresh token active');
  const junk = await client.tokenIntrospection(r.config, 'junk-token');
  eq(junk.active, false, 'a made-up token');
  // another client may not see the token's details... but must authenticate
  const res = await post(meta.introspection_endpoint, { token: r.tokens.access_token });
  eq(res.status, 401, 'introspection without client authentication');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('revocation (openid-client tokenRevocation): access token, then refresh token', async () => {
  const r = fresh;
  await client.tokenRevocation(r.config, r.tokens.access_token);
  eq((await client.tokenIntrospection(r.config, r.tokens.access_token)).active, false, 'revoked access token');
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
  eq(res.status, 401, 'userinfo with a revoked access token');
  await client.tokenRevocation(r.config, r.tokens.refresh_token, { token_type_hint: 'refresh_token' });
  try {
    await client.refreshTokenGrant(r.config, r.tokens.refresh_token);
    throw new Error('a revoked refresh token worked');
  } catch (e) {
    eq(e.error, 'invalid_grant', 'refresh after revocation');
  }
  await client.tokenRevocation(r.config, 'never-issued'); // RFC 7009: 200 for unknown tokens
}, { needs: ['introspection (openid-client tokenIntrospection)'] });

// ------------------------------------------------------------------ Basic OP negative and edge cases
await check('code reuse: a second redemption is invalid_grant and revokes the first tokens', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'code-reuse', exchange: false });
  const first = await redeemRaw(C.spa, r.callback.query.code, r.verifier);
  eq(first.status, 200, 'first redemption');
  const tokens = await first.json();
  const again = await redeemRaw(C.spa, r.callback.query.code, r.verifier);
  eq(again.status, 400, 'second redemption status');
  eq((await again.json()).error, 'invalid_grant', 'second redemption error');
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  eq(res.status, 401, 'the first redemption\'s access token after the replay');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('wrong PKCE verifier is invalid_grant', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'wrong-verifier', exchange: false });
  const res = await redeemRaw(C.spa, r.callback.query.code, client.randomPKCECodeVerifier());
  eq(res.status, 400, 'status');
  eq((await res.json()).error, 'invalid_grant', 'error');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('code redeemed with another redirect_uri is invalid_grant', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'wrong-redirect', exchange: false });
  const res = await redeemRaw(C.spa, r.callback.query.code, r.verifier, `${CB}/other`);
  eq(res.status, 400, 'status');
  eq((await res.json()).error, 'invalid_grant', 'error');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('PKCE plain is refused (S256 only)', async () => {
  const { callback } = await rawAuthorize(pageA, {
    response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'plain',
    code_challenge: client.randomPKCECodeVerifier(), code_challenge_method: 'plain',
  }, { label: 'pkce-plain' });
  eq(callback.query.error, 'invalid_request', 'error');
  assert(!callback.query.code, 'a code was issued');
  eq(callback.query.state, 'plain', 'state on the error');
}, { needs: [MAIN] });

await check('code flow without nonce succeeds', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'no-nonce', nonce: null });
  assert(r.tokens.id_token, 'no ID token');
  assert(!('nonce' in r.claims), 'a nonce appeared');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('missing response_type is an error, no code', async () => {
  const { challenge } = await pkcePair();
  const url = `${meta.authorization_endpoint}?${new URLSearchParams({ client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'nort', code_challenge: challenge, code_challenge_method: 'S256' })}`;
  const since = rp.events.length;
  const res = await pageA.goto(url, { timeout: 15000 });
  await screenshot(pageA, shots, 'missing-response-type');
  if (pageA.url().startsWith(rpOrigin)) {
    const cb = await rp.waitFor((e) => e.path === '/cb', { since, timeoutMs: 3000 });
    assert(['invalid_request', 'unsupported_response_type'].includes(cb.query.error), `error ${cb.query.error}`);
    assert(!cb.query.code, 'a code was issued');
  } else {
    assert(res.status() >= 400, `an error page was expected, got HTTP ${res.status()}`);
  }
}, READY);

await check('unregistered redirect_uri shows an error page and does not redirect', async () => {
  const { challenge } = await pkcePair();
  const evil = `${rpOrigin}/evil`;
  const since = rp.events.length;
  const res = await pageA.goto(`${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: C.spa.client_id, redirect_uri: evil, scope: 'openid', state: 'x', code_challenge: challenge, code_challenge_method: 'S256' })}`, { timeout: 15000 });
  await screenshot(pageA, shots, 'unregistered-redirect-uri');
  assert(!pageA.url().startsWith(rpOrigin), `redirected to ${pageA.url()}`);
  assert(res.status() >= 400, `HTTP ${res.status()}`);
  assert(!rp.events.slice(since).length, 'the relying party received a request');
  // an unknown client_id too
  const res2 = await pageA.goto(`${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: 'no-such-client', redirect_uri: CB, scope: 'openid' })}`, { timeout: 15000 });
  assert(res2.status() >= 400 && !pageA.url().startsWith(rpOrigin), 'an unknown client_id redirected');
}, READY);

await check('tenant isolation: another tenant\'s client is unknown here, and this tenant\'s token is refused there', async () => {
  const { challenge } = await pkcePair();
  const res = await pageA.goto(`${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: C.other.client_id, redirect_uri: CB, scope: 'openid', state: 'iso', code_challenge: challenge, code_challenge_method: 'S256' })}`, { timeout: 15000 });
  await screenshot(pageA, shots, 'other-tenant-client');
  assert(res.status() >= 400 && !pageA.url().startsWith(rpOrigin), 'another tenant\'s client was accepted');
  const other = `${cfg.base}/t/${cfg.other_tenant}`;
  const { access_token: token } = await client.clientCredentialsGrant(configFor(C.service), { scope: 'api:read' });
  const here = await readJson(await post(meta.introspection_endpoint, { token }, basic(C.service)), 'introspection here');
  eq(here.active, true, 'active at its own tenant');
  const there = await readJson(await post(`${other}/introspect`, { token }, basic(C.other)), 'introspection there');
  eq(there.active, false, 'active at the other tenant');
}, { needs: [MAIN] });

await check('prompt=none when signed out is login_required', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const { challenge } = await pkcePair();
    const { callback } = await rawAuthorize(page, { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'pn', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' }, { label: 'prompt-none-signed-out' });
    eq(callback.query.error, 'login_required', 'error');
    eq(callback.query.state, 'pn', 'state');
    eq(callback.query.iss, issuer, 'iss');
  } finally { await ctx.close(); }
}, READY);

await check('prompt=none when signed in returns a code without interaction', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'prompt-none-signed-in', extra: { prompt: 'none' } });
  eq(r.seen.join(','), 'rp', 'pages shown');
  eq(r.claims.sub, main.claims.sub, 'sub');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('prompt=login forces re-authentication', async () => {
  await sleep(1100);
  const r = await codeFlow(pageA, C.spa, { label: 'prompt-login', extra: { prompt: 'login' } });
  assert(r.seen.includes('login'), `no sign-in page (pages: ${r.seen.join(' → ')})`);
  assert(r.claims.auth_time > main.claims.auth_time, `auth_time ${r.claims.auth_time} not after ${main.claims.auth_time}`);
  main.lastAuthTime = r.claims.auth_time;
}, { needs: [MAIN], timeoutMs: 30000 });

await check('max_age=1 forces re-authentication and auth_time shows it', async () => {
  const before = (await codeFlow(pageA, C.spa, { label: 'max-age-before' })).claims.auth_time;
  await sleep(2100);
  const r = await codeFlow(pageA, C.spa, { label: 'max-age-1', extra: { max_age: '1' } });
  assert(r.seen.includes('login'), `no sign-in page (pages: ${r.seen.join(' → ')})`);
  assert(r.claims.auth_time > before, `auth_time ${r.claims.auth_time} not after ${before}`);
  assert(Math.abs(Date.now() / 1000 - r.claims.auth_time) < 30, 'auth_time is not recent');
}, { needs: [MAIN], timeoutMs: 40000 });

await check('id_token_hint with prompt=none for the signed-in user returns a code', async () => {
  const hint = (await codeFlow(pageA, C.spa, { label: 'hint-source' })).tokens.id_token;
  const r = await codeFlow(pageA, C.spa, { label: 'id-token-hint', extra: { prompt: 'none', id_token_hint: hint } });
  eq(r.seen.join(','), 'rp', 'pages shown');
  eq(r.claims.sub, main.claims.sub, 'sub');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('id_token_hint of another user with prompt=none is login_required', async () => {
  // bob's ID token, from a browser of his own
  const ctx = await browser.newContext();
  let hint;
  try {
    hint = (await codeFlow(await ctx.newPage(), C.spa, { user: bob, label: 'bob-hint' })).tokens.id_token;
  } finally { await ctx.close(); }
  const { challenge } = await pkcePair();
  const { callback } = await rawAuthorize(pageA, { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'h2', prompt: 'none', id_token_hint: hint, code_challenge: challenge, code_challenge_method: 'S256' }, { label: 'id-token-hint-other' });
  eq(callback.query.error, 'login_required', 'error');
}, { needs: [MAIN], timeoutMs: 40000 });

await check('login_hint prefills the username on the sign-in page', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const { challenge } = await pkcePair();
    const { page: p } = await rawAuthorize(page, { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'lh', login_hint: 'alice', code_challenge: challenge, code_challenge_method: 'S256' }, { label: 'login-hint', expectRp: false });
    eq(await p.inputValue('input[name="username"]'), 'alice', 'username field');
  } finally { await ctx.close(); }
}, READY);

await check('unknown parameters are ignored', async () => {
  const r = await codeFlow(pageA, C.spa, { label: 'unknown-params', extra: { foo: 'bar', x_custom: '1', display: 'page', ui_locales: 'en', acr_values: 'urn:mace:incommon:iap:silver' } });
  assert(r.tokens.access_token, 'no tokens');
}, { needs: [MAIN], timeoutMs: 30000 });

await check('prompt=consent shows the consent page again for a remembered consent', async () => {
  const r = await codeFlow(pageA, C.web, { scope: 'openid profile', label: 'prompt-consent', extra: { prompt: 'consent' } });
  assert(r.seen.includes('consent'), `no consent page (pages: ${r.seen.join(' → ')})`);
}, { needs: [MAIN], timeoutMs: 30000 });

await check('consent denied is access_denied at the relying party', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await codeFlow(page, C.web, { user: bob, scope: 'openid email', label: 'consent-deny', consent: 'deny', exchange: false });
    throw new Error('a code after denying consent');
  } catch (e) {
    assert(e.callback, e.message);
    eq(e.callback.query.error, 'access_denied', 'error');
    assert(!e.callback.query.code, 'a code was issued');
  } finally { await ctx.close(); }
}, { ...READY, timeoutMs: 30000 });

await check('authorization request by POST (form in the browser)', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const { verifier, challenge } = await pkcePair();
    const nonce = client.randomNonce();
    const fields = { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid email', state: 'post', nonce, code_challenge: challenge, code_challenge_method: 'S256' };
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
    await page.setContent(`<form method="post" action="${meta.authorization_endpoint}">${inputs}<button type="submit">Go</button></form>`);
    const since = rp.events.length;
    await Promise.all([page.waitForURL((u) => u.href.startsWith('http'), { timeout: 10000 }), page.click('button')]);
    await drive(page, null, { user: alice, rpOrigin, shots, label: 'authorize-post' });
    const cb = await rp.waitFor((e) => e.path === '/cb', { since, timeoutMs: 5000 });
    eq(cb.query.state, 'post', 'state');
    assert(cb.query.code, `no code: ${JSON.stringify(cb.query)}`);
    const res = await redeemRaw(C.spa, cb.query.code, verifier);
    eq(res.status, 200, 'redemption');
    const { claims } = await idCheck((await res.json()).id_token, C.spa.client_id, nonce);
    eq(claims.sub, main.claims.sub, 'sub');
  } finally { await ctx.close(); }
}, { needs: [MAIN], timeoutMs: 40000 });

// ================================================================== Implicit OP / Form Post
await check('implicit with form_post: the relying party receives id_token (openid-client implicitAuthentication)', async () => {
  const config = configFor(C.implicit);
  client.useIdTokenResponseType(config);
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: FORM_POST, scope: 'openid profile email', response_mode: 'form_post', nonce, state });
  const since = rp.events.length;
  const { seen } = await drive(pageA, url.href, { user: alice, rpOrigin, shots, label: 'implicit-form-post' });
  const ev = await rp.waitFor((e) => e.path === '/form_post', { since, timeoutMs: 5000 });
  eq(ev.method, 'POST', 'method');
  assert(ev.form.id_token, `no id_token in the POST (${Object.keys(ev.form).join(', ')}; error ${ev.form.error ?? '-'})`);
  assert(!ev.form.code && !ev.form.access_token, 'more than an id_token for response_type=id_token');
  eq(ev.form.state, state, 'state');
  const request = new Request(FORM_POST, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ev.body });
  const claims = await client.implicitAuthentication(config, request, nonce, { expectedState: state });
  eq(claims.nonce, nonce, 'nonce (openid-client)');
  const { claims: c2 } = await idCheck(ev.form.id_token, C.implicit.client_id, nonce);
  eq(c2.sub, main?.claims?.sub ?? c2.sub, 'sub');
  eq(c2.email, alice.email, 'email in the ID token (no access token issued)');
  main && (main.implicitSeen = seen);
}, { ...READY, timeoutMs: 40000 });

await check('implicit id_token token with form_post: at_hash binds the access token', async () => {
  const nonce = client.randomNonce();
  const { callback } = await rawAuthorize(pageA, { response_type: 'id_token token', response_mode: 'form_post', client_id: C.implicit.client_id, redirect_uri: FORM_POST, scope: 'openid', state: 'it', nonce }, { label: 'implicit-id-token-token', user: alice });
  const f = callback.form;
  assert(f.id_token && f.access_token, `got ${Object.keys(f).join(', ')} ${f.error ?? ''}`);
  const { claims, header } = await idCheck(f.id_token, C.implicit.client_id, nonce);
  const hash = header.alg === 'EdDSA' ? 'SHA-512' : 'SHA-256';
  const d = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(f.access_token)));
  eq(claims.at_hash, Buffer.from(d.slice(0, d.length / 2)).toString('base64url'), 'at_hash');
}, { ...READY, timeoutMs: 30000 });

await check('implicit without nonce is refused (invalid_request, no id_token)', async () => {
  const { callback } = await rawAuthorize(pageA, { response_type: 'id_token', response_mode: 'form_post', client_id: C.implicit.client_id, redirect_uri: FORM_POST, scope: 'openid', state: 'nn' }, { label: 'implicit-no-nonce', user: alice });
  const p = { ...callback.query, ...callback.form };
  eq(p.error, 'invalid_request', 'error');
  assert(!p.id_token, 'an id_token was issued');
  eq(p.state, 'nn', 'state');
}, { ...READY, timeoutMs: 30000 });

await check('implicit default response_mode is fragment', async () => {
  const nonce = client.randomNonce();
  const url = `${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'id_token', client_id: C.implicit.client_id, redirect_uri: FORM_POST, scope: 'openid', state: 'fr', nonce })}`;
  await drive(pageA, url, { user: alice, rpOrigin, shots, label: 'implicit-fragment' });
  const frag = new URLSearchParams(new URL(pageA.url()).hash.slice(1));
  assert(frag.get('id_token'), `no id_token in the fragment: ${pageA.url().slice(0, 120)}`);
  eq(frag.get('state'), 'fr', 'state');
  await idCheck(frag.get('id_token'), C.implicit.client_id, nonce);
}, { ...READY, timeoutMs: 30000 });

// ================================================================== device flow
await check('device flow with the browser approving (openid-client)', async () => {
  if (!meta.device_authorization_endpoint) throw new Error('device_authorization_endpoint is missing from discovery');
  const config = configFor(C.tv);
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
  assert(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/.test(da.user_code), `user_code ${da.user_code}`);
  assert(da.verification_uri && da.verification_uri_complete, 'verification URIs');
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(da.verification_uri, { timeout: 15000 });
    const submit = async (selector) => {
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 10000 }), page.click(selector)]);
      await page.waitForLoadState('load');
    };
    let approved = false;
    for (let i = 0; i < 8 && !approved; i++) {
      await screenshot(page, shots, `device-step-${i}`);
      if (await page.locator('input[name="password"]').count()) {
        await page.fill('input[name="username"]', alice.username);
        await page.fill('input[name="password"]', alice.password);
        await submit('form button[type="submit"]');
      } else if (await page.locator('button[value="approve"]').count()) {
        await submit('button[value="approve"]');
        await screenshot(page, shots, 'device-approved');
        approved = true;
      } else if (await page.locator('input[name="user_code"]').count()) {
        await page.fill('input[name="user_code"]', da.user_code);
        await submit('form button[type="submit"]');
      } else {
        await sleep(500);
      }
    }
    assert(approved, `never reached the approval page (at ${page.url()})`);
  } finally { await ctx.close(); }
  const tokens = await client.pollDeviceAuthorizationGrant(config, da, undefined, { signal: AbortSignal.timeout(40000) });
  assert(tokens.access_token, 'no access token');
  if (tokens.id_token) await idCheck(tokens.id_token, C.tv.client_id);
}, { ...READY, timeoutMs: 60000 });

await check('device flow: a denied request is access_denied; a made-up device_code is invalid_grant', async () => {
  if (!meta.device_authorization_endpoint) throw new Error('device_authorization_endpoint is missing from discovery');
  const config = configFor(C.tv);
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(da.verification_uri_complete, { timeout: 15000 });
    const submit = async (selector) => {
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 10000 }), page.click(selector)]);
      await page.waitForLoadState('load');
    };
    let denied = false;
    for (let i = 0; i < 8 && !denied; i++) {
      await screenshot(page, shots, `device-deny-step-${i}`);
      if (await page.locator('input[name="password"]').count()) {
        await page.fill('input[name="username"]', alice.username);
        await page.fill('input[name="password"]', alice.password);
        await submit('form button[type="submit"]');
      } else if (await page.locator('button[value="deny"]').count()) {
        await submit('button[value="deny"]');
        await screenshot(page, shots, 'device-denied');
        denied = true;
      } else if (await page.locator('input[name="user_code"]').count()) {
        if (!(await page.inputValue('input[name="user_code"]'))) await page.fill('input[name="user_code"]', da.user_code);
        await submit('form button[type="submit"]');
      } else {
        await sleep(500);
      }
    }
    assert(denied, `never reached the approval page (at ${page.url()})`);
  } finally { await ctx.close(); }
  try {
    await client.pollDeviceAuthorizationGrant(config, da, undefined, { signal: AbortSignal.timeout(30000) });
    throw new Error('tokens after denial');
  } catch (e) {
    eq(e.error, 'access_denied', 'polling after denial');
  }
  const res = await post(meta.token_endpoint, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'made-up', client_id: C.tv.client_id });
  eq((await readJson(res, 'token')).error, 'invalid_grant', 'a made-up device_code');
}, { ...READY, timeoutMs: 60000 });

// ================================================================== logout
await check('RP-initiated logout: id_token_hint, post_logout_redirect_uri and state; the session ends', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const r = await codeFlow(page, C.web, { label: 'logout-signin' });
    const url = client.buildEndSessionUrl(r.config, { id_token_hint: r.tokens.id_token, post_logout_redirect_uri: LOGGED_OUT, state: 'bye' });
    const since = rp.events.length;
    await drive(page, url.href, { rpOrigin, shots, label: 'rp-logout' });
    const ev = await rp.waitFor((e) => e.path === '/logged-out', { since, timeoutMs: 5000 });
    eq(ev.query.state, 'bye', 'state');
    const { challenge } = await pkcePair();
    const { callback } = await rawAuthorize(page, { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'after', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' }, { label: 'after-logout' });
    eq(callback.query.error, 'login_required', 'prompt=none after logout');
    // an unregistered post_logout_redirect_uri is not followed
    const bad = client.buildEndSessionUrl(r.config, { id_token_hint: r.tokens.id_token, post_logout_redirect_uri: `${rpOrigin}/evil`, state: 'x' });
    const before = rp.events.length;
    await page.goto(bad.href, { timeout: 10000 });
    await screenshot(page, shots, 'logout-unregistered-uri');
    await sleep(300);
    assert(!rp.events.slice(before).some((e) => e.path === '/evil'), 'redirected to an unregistered post_logout_redirect_uri');
  } finally { await ctx.close(); }
}, { ...READY, timeoutMs: 45000 });

await check('RP-initiated logout without id_token_hint asks for confirmation', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await codeFlow(page, C.spa, { label: 'confirm-signin' });
    await page.goto(meta.end_session_endpoint, { timeout: 10000 });
    await screenshot(page, shots, 'logout-confirmation');
    assert(await page.locator('form button').count(), 'no confirmation form');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/logout'), { timeout: 10000 }),
      page.click('form button[type="submit"]'),
    ]);
    await page.waitForLoadState('load');
    await screenshot(page, shots, 'logout-confirmed');
    const { challenge } = await pkcePair();
    const { callback } = await rawAuthorize(page, { response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'after2', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' }, { label: 'after-confirmed-logout' });
    eq(callback.query.error, 'login_required', 'prompt=none after the confirmed logout');
    // signed out already: the logout endpoint says nothing was ended rather than pretending
    await page.goto(meta.end_session_endpoint, { timeout: 10000 });
    await screenshot(page, shots, 'logout-nobody-signed-out');
    assert((await page.content()).includes('Nobody was signed out'), 'no "Nobody was signed out" page without a session');
  } finally { await ctx.close(); }
}, { ...READY, timeoutMs: 40000 });

await check('back-channel logout: the relying party receives a valid logout_token', async () => {
  if (!meta.backchannel_logout_supported) throw new Error('backchannel_logout_supported is not advertised');
  if (!passed('admin API: register the back-channel logout URI of a client')) throw new Error('no client has a backchannel_logout_uri: the CLI has no flag for it and the admin API could not set it');
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const r = await codeFlow(page, C.bcl, { scope: 'openid profile', label: 'bcl-signin' });
    const since = rp.events.length;
    const url = client.buildEndSessionUrl(r.config, { id_token_hint: r.tokens.id_token, post_logout_redirect_uri: LOGGED_OUT, state: 'bcl' });
    await drive(page, url.href, { rpOrigin, shots, label: 'bcl-logout' });
    const ev = await rp.waitFor((e) => e.path === '/backchannel', { since, timeoutMs: 15000 });
    eq(ev.method, 'POST', 'method');
    const token = ev.form.logout_token;
    assert(token, `no logout_token in ${ev.body.slice(0, 100)}`);
    const header = jose.decodeProtectedHeader(token);
    assert(header.alg !== 'none' && header.kid, 'alg/kid');
    const { payload } = await jose.jwtVerify(token, jwks, { issuer, audience: C.bcl.client_id, requiredClaims: ['iat', 'jti', 'events'], clockTolerance: 5 });
    seenIdTokens.push(token);
    assert(payload.events?.['http://schemas.openid.net/event/backchannel-logout'] !== undefined, 'events claim');
    assert(!('nonce' in payload), 'a nonce in a logout token');
    assert(payload.sub || payload.sid, 'neither sub nor sid');
    if (payload.sid) eq(payload.sid, r.claims.sid, 'sid');
    if (payload.sub) eq(payload.sub, r.claims.sub, 'sub');
    if (header.typ) eq(header.typ, 'logout+jwt', 'typ');
  } finally { await ctx.close(); }
}, { ...READY, timeoutMs: 45000 });

await check('sign-in throttle: after 10 wrong passwords for one username the sign-in page refuses at once (429)', async () => {
  const other = `${cfg.base}/t/${cfg.other_tenant}`;
  const { challenge } = await pkcePair();
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const url = `${other}/authorize?${new URLSearchParams({ response_type: 'code', client_id: C.other.client_id, redirect_uri: CB, scope: 'openid', state: 'thr', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    await page.goto(url, { timeout: 10000, waitUntil: 'load' });
    let last;
    for (let i = 0; i < 11; i++) {
      assert(await page.locator('input[name="password"]').count(), `no sign-in form at attempt ${i + 1}: ${page.url()}`);
      await page.fill('input[name="username"]', 'nobody-throttled');
      await page.fill('input[name="password"]', `wrong-${i}`);
      const answered = page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 10000 });
      await page.click('form button[type="submit"]');
      last = await answered;
      await page.waitForLoadState('load');
      if (i === 0) await screenshot(page, shots, 'sign-in-wrong-password');
    }
    await screenshot(page, shots, 'sign-in-throttled');
    eq(last.status(), 429, 'the 11th attempt');
    const text = await page.locator('body').innerText({ timeout: 2000 });
    assert(text.includes('Too many attempts'), `the page says: ${text.slice(0, 200)}`);
  } finally { await ctx.close(); }
}, { ...READY, timeoutMs: 60000 });

// ================================================================== last
await check('alg: none is never used (every ID and logout token of this run)', async () => {
  assert(seenIdTokens.length > 0, 'no tokens were collected');
  for (const t of seenIdTokens) {
    const h = jose.decodeProtectedHeader(t);
    assert(h.alg && h.alg.toLowerCase() !== 'none', `a token with alg ${h.alg}`);
  }
  // and an unsigned ID token is not accepted as id_token_hint
  const unsigned = new jose.UnsecuredJWT({ sub: main?.claims?.sub ?? 'x', aud: C.spa.client_id }).setIssuer(issuer).setIssuedAt().setExpirationTime('5m').encode();
  const { challenge } = await pkcePair();
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const url = `${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: C.spa.client_id, redirect_uri: CB, scope: 'openid', state: 'un', prompt: 'none', id_token_hint: unsigned, code_challenge: challenge, code_challenge_method: 'S256' })}`;
    const since = rp.events.length;
    await page.goto(url, { timeout: 10000 });
    await screenshot(page, shots, 'unsigned-id-token-hint');
    const cb = rp.events.slice(since).find((e) => e.path === '/cb');
    assert(!cb?.query.code, 'an unsigned id_token_hint gave a code');
  } finally { await ctx.close(); }
}, READY);

await Promise.race([Promise.all([ctxA.close(), browser.close(), rp.close()]), sleep(5000)]);
console.log('# done');
// stdout is a pipe (synchronous on Linux): exiting now loses nothing and leaves no straggler
process.exit(results.failed ? 1 : 0);
