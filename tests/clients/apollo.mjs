// Apollo Client's persisted-query link against the running server.
//
//   node apollo.mjs <graphql-url> <bearer-token> apq <documents-dir>
//     automatic persisted queries: a first client's hash misses and is
//     registered, a second client's hash alone runs, over POST and GET.
//   node apollo.mjs <graphql-url> <bearer-token> manifest <documents-dir> <manifest>
//     trusted documents: operations sent by their manifest ids only (the
//     frontend build's manifest), and an arbitrary document refused.
//
// Every request the link sends is logged: method, whether it carried the
// document text and the hash, the status and error codes. Prints
// {"requests": [...], "results": {...}}.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';

const [url, token, mode, documentsDir, manifestPath] = process.argv.slice(2);
const requests = [];

// fetch, logging what the link sent and what came back.
async function loggingFetch(input, init = {}) {
  const response = await fetch(input, init);
  const target = new URL(typeof input === 'string' ? input : input.url);
  const sent = init.body ? JSON.parse(init.body) : Object.fromEntries(target.searchParams);
  const extensions =
    typeof sent.extensions === 'string' ? JSON.parse(sent.extensions) : sent.extensions;
  const body = await response.clone().json();
  requests.push({
    method: init.method ?? 'GET',
    query: Boolean(sent.query),
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    codes: (body.errors ?? []).map((e) => e.extensions?.code),
    messages: (body.errors ?? []).map((e) => e.message),
  });
  return response;
}

function client(link) {
  const http = new HttpLink({
    uri: url,
    fetch: loggingFetch,
    headers: { authorization: `Bearer ${token}` },
  });
  return new ApolloClient({ link: ApolloLink.from([link, http]), cache: new InMemoryCache() });
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function attempt(run) {
  try {
    const result = await run();
    return { data: result.data ?? null };
  } catch (error) {
    return { error: error.message, name: error.constructor?.name };
  }
}

// One operation of an example document (Apollo sends one at a time).
async function example(file, name) {
  const document = gql(await readFile(`${documentsDir}/${file}`, 'utf8'));
  return {
    ...document,
    definitions: document.definitions.filter(
      (d) => d.kind === 'FragmentDefinition' || d.name?.value === name,
    ),
  };
}

const results = {};
if (mode === 'apq') {
  const query = await example('status.graphql', 'SystemStatus');
  const me = gql`query Me { me { name } }`;
  results.first = await attempt(() =>
    client(new PersistedQueryLink({ sha256 })).query({ query, fetchPolicy: 'no-cache' }),
  );
  results.second = await attempt(() =>
    client(new PersistedQueryLink({ sha256 })).query({ query, fetchPolicy: 'no-cache' }),
  );
  results.get = await attempt(() =>
    client(new PersistedQueryLink({ sha256, useGETForHashedQueries: true })).query({
      query: me,
      fetchPolicy: 'no-cache',
    }),
  );
  results.getAgain = await attempt(() =>
    client(new PersistedQueryLink({ sha256, useGETForHashedQueries: true })).query({
      query: me,
      fetchPolicy: 'no-cache',
    }),
  );
} else if (mode === 'manifest') {
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  const link = new PersistedQueryLink(
    generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }),
  );
  const query = await example('status.graphql', 'SystemStatus');
  results.persisted = await attempt(() => client(link).query({ query, fetchPolicy: 'no-cache' }));
  results.arbitrary = await attempt(() =>
    client(new PersistedQueryLink({ sha256 })).query({
      query: gql`query Sneaky { me { email } }`,
      fetchPolicy: 'no-cache',
    }),
  );
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write(JSON.stringify({ requests, results }) + '\n');
