// A real OpenID Provider (the certified `oidc-provider` package) on loopback,
// for switchboard's end-to-end tests. See README.md beside this file.
//
//   node provider.mjs [--port N]        (0 or absent: any free port)
//
// Prints one line, `OIDC_PROVIDER_URL=http://127.0.0.1:<port>`, once it
// answers; that URL is the issuer. Test-only endpoints under /test/ rotate
// keys, count JWKS fetches and sign arbitrary tokens with the real keys.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const audience = env.OIDC_AUDIENCE || 'api://switchboard';
const accessTokenTtl = Number(env.OIDC_ACCESS_TOKEN_TTL || 300);
const jwksMaxAge = env.OIDC_JWKS_MAX_AGE;

// Users sign in with their id as the login name (any password).
const users = env.OIDC_USERS ? JSON.parse(env.OIDC_USERS) : {
  bailey: {
    email: 'bailey.billing@harborfreight.example',
    name: 'Bailey Billing',
    groups: ['Everyone', 'acct-1234567890-billing'],
  },
  morgan: {
    email: 'morgan.multi@partner.example',
    name: 'Morgan Multi',
    groups: ['acct-1234567890-alternate_authority', 'acct-2345678901-standard'],
  },
  olive: {
    email: 'olive.operator@switchboard.example',
    name: 'Olive Operator',
    groups: ['switchboard-operators'],
  },
  pat: {
    email: 'pat.primary@harborfreight.example',
    name: 'Pat Primary',
    groups: [],
  },
};

function userOf(id) {
  return users[id] || { email: `${id}@users.example`, name: id, groups: [] };
}

// Clients. The authorization-code client is configurable so that other
// tests (the GraphiQL login) can register their own redirect URIs.
const portal = {
  client_id: env.OIDC_CLIENT_ID || 'portal',
  redirect_uris: (env.OIDC_REDIRECT_URIS || 'http://127.0.0.1/callback').split(',').map((u) => u.trim()),
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'openid email profile groups read write',
};
if (env.OIDC_CLIENT_SECRET === '') {
  portal.token_endpoint_auth_method = 'none';
} else {
  portal.client_secret = env.OIDC_CLIENT_SECRET || 'portal-secret';
}
const machine = (id, scope) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  ...(scope ? { scope } : {}),
});
const clients = [
  portal,
  machine('integrator', 'read write'),
  machine('reporting', 'read'),
  machine('opaque-integrator', 'read'),
  // The gateway authenticates as this client to introspect tokens.
  { ...machine('gateway', ''), grant_types: [] },
];

// Which JWS algorithm each client's access tokens are signed with;
// `opaque-integrator` gets opaque tokens (to exercise introspection).
const signingAlg = { integrator: 'ES256', reporting: 'ES256' };

function newKey(alg) {
  const kid = `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`;
  const pair = alg === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// Newest first: the provider signs with the first key of an algorithm.
let keys = [newKey('RS256'), newKey('ES256')];
let jwksFetches = 0;
const cookieKeys = [crypto.randomBytes(32).toString('hex')];

function configuration() {
  return {
    clients,
    jwks: { keys },
    cookies: { keys: cookieKeys },
    claims: {
      openid: ['sub'], email: ['email'], profile: ['name'], groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    pkce: { required: () => true },
    ttl: { AccessToken: accessTokenTtl, ClientCredentials: accessTokenTtl },
    async findAccount(_ctx, id) {
      const user = userOf(id);
      return { accountId: id, claims: async () => ({ sub: id, ...user }) };
    },
    async extraTokenClaims(_ctx, token) {
      if (!token.accountId) return undefined;
      const { email, name, groups } = userOf(token.accountId);
      return { email, name, groups, uid: token.accountId };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== audience) throw new Provider.errors.InvalidTarget();
          const opaque = client.clientId === 'opaque-integrator';
          return {
            scope: 'read write',
            audience,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: opaque ? 'opaque' : 'jwt',
            ...(opaque ? {} : { jwt: { sign: { alg: signingAlg[client.clientId] || 'RS256' } } }),
          };
        },
      },
    },
  };
}

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// Signs `payload` with the newest key of `alg` (or `kid` in the header).
function sign({ alg = 'RS256', header = {}, payload }) {
  const jwk = keys.find((k) => (header.kid ? k.kid === header.kid : k.alg === alg)) || keys.find((k) => k.alg === alg);
  const fullHeader = { alg, typ: 'JWT', kid: jwk.kid, ...header };
  const input = `${b64(fullHeader)}.${b64(payload)}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const signature = alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

// The test-only control endpoints.
async function control(req, res, url) {
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /test/stats':
      return json(res, 200, { jwks_fetches: jwksFetches, kids: keys.map((k) => k.kid) });
    case 'POST /test/rotate': {
      // New keys first; `?drop=1` forgets the old ones.
      const fresh = [newKey('RS256'), newKey('ES256')];
      keys = url.searchParams.get('drop') ? fresh : [...fresh, ...keys];
      build();
      return json(res, 200, { kids: keys.map((k) => k.kid) });
    }
    case 'POST /test/sign':
      return json(res, 200, { token: sign(await readJson(req)) });
    case 'GET /test/public-jwks':
      return json(res, 200, { keys: keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub) });
    default:
      return json(res, 404, { error: 'not_found' });
  }
}

let issuer;
let handler;
function build() {
  handler = new Provider(issuer, configuration()).callback();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/test/')) {
    control(req, res, url).catch((e) => json(res, 500, { error: String(e) }));
    return;
  }
  if (url.pathname === '/jwks') {
    jwksFetches += 1;
    if (jwksMaxAge) {
      const cacheControl = `public, max-age=${jwksMaxAge}`;
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => setHeader(name, name.toLowerCase() === 'cache-control' ? cacheControl : value);
      res.setHeader('cache-control', cacheControl);
    }
  }
  handler(req, res);
});

const portArg = process.argv.indexOf('--port');
const port = Number(portArg > 0 ? process.argv[portArg + 1] : env.OIDC_PORT || 0);
server.listen(port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  build();
  process.stdout.write(`OIDC_PROVIDER_URL=${issuer}\n`);
});

// The test may stop reading our output; that is no reason to fail.
process.stdout.on('error', () => {});

// Stop with the test that started us, even when it cannot kill us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
