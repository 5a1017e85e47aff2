// panva/oidc-provider (9.x) configured for the keyward-bench scenarios, as a comparison point.
//
// Usage: node oidc-provider.mjs [PORT]   (or PORT=... ; default 3000). Listens on 127.0.0.1 only
// and prints its issuer (http://127.0.0.1:PORT) on the first line of stdout once it accepts
// connections.
//
// What it serves:
// - one confidential client (client_secret_basic) allowed client_credentials, password and
//   refresh_token; credentials from BENCH_CLIENT_ID / BENCH_CLIENT_SECRET (default bench /
//   bench-secret);
// - introspection and revocation (features.introspection, features.revocation) and
//   client_credentials (features.clientCredentials);
// - one account for the password grant, BENCH_USERNAME / BENCH_PASSWORD (default bench / bench);
// - opaque access and refresh tokens in the default in-memory adapter; refresh tokens rotate on
//   every use (rotateRefreshToken: true), as Keyward's do.
//
// oidc-provider does not implement the resource owner password grant (RFC 6749 §4.3); it is
// registered below with provider.registerGrantType(): it checks the account's password and then
// issues a Grant, an AccessToken and (with offline_access) a RefreshToken through the provider's
// own models, so the refresh_token grant that the benchmark measures is oidc-provider's own code.
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret';
const username = process.env.BENCH_USERNAME ?? 'bench';
const password = process.env.BENCH_PASSWORD ?? 'bench';

// Fresh signing keys per start: ES256 for ID tokens (as Keyward's default), RS256 because
// oidc-provider expects one.
const jwk = (pair, alg, kid) => ({ ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid });
const jwks = {
  keys: [
    jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256', 'bench-es256'),
    jwk(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256', 'bench-rs256'),
  ],
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials', 'password', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid offline_access api',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks,
  cookies: { keys: ['keyward-bench-cookie-key'] },
  scopes: ['openid', 'offline_access', 'api'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: true },
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    IdToken: 3600,
    RefreshToken: 86400,
    Grant: 86400,
  },
  async findAccount(ctx, sub) {
    if (sub !== username) return undefined;
    return { accountId: sub, async claims() { return { sub }; } };
  },
});

// RFC 6749 §4.3, resource owner password credentials — for the refresh benchmark only.
const OIDC_SCOPES = new Set(['openid', 'offline_access']);
async function passwordGrant(ctx) {
  const { params, client } = ctx.oidc;
  if (params.username !== username || params.password !== password) {
    throw new errors.InvalidGrant('invalid resource owner credentials');
  }
  const requested = (params.scope ?? '').split(' ').filter(Boolean);
  const allowed = requested.filter((s) => client.scope.split(' ').includes(s));
  if (allowed.length !== requested.length) {
    throw new errors.InvalidScope('requested scope is not allowed for this client', requested.join(' '));
  }
  const scope = allowed.filter((s) => OIDC_SCOPES.has(s)).join(' ');

  const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
  if (scope) grant.addOIDCScope(scope);
  const grantId = await grant.save();

  const common = { accountId: username, client, grantId, gty: 'password', scope: scope || undefined };
  const at = new provider.AccessToken(common);
  const accessToken = await at.save();
  let refreshToken;
  if (allowed.includes('offline_access')) {
    refreshToken = await new provider.RefreshToken(common).save();
  }
  ctx.body = {
    access_token: accessToken,
    token_type: at.tokenType,
    expires_in: at.expiration,
    refresh_token: refreshToken,
    scope: scope || undefined,
  };
}
provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  console.log(issuer);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
