// graphql-js's own introspection, as GraphiQL, IDE plugins and codegen send
// it, against the running server; then the client schema it builds.
//
//   node introspect.mjs <graphql-url> <bearer-token>
//
// Prints {"<options>": {"types": n, "sdlBytes": n}} per option set; exits 1
// when the server refuses a query or the answer does not build a schema.
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';

const [url, token] = process.argv.slice(2);

const optionSets = {
  defaults: {},
  everything: {
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  },
};

const result = {};
for (const [name, options] of Object.entries(optionSets)) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: getIntrospectionQuery(options) }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) {
    console.error(`${name}: HTTP ${response.status} ${JSON.stringify(body.errors)}`);
    process.exit(1);
  }
  const schema = buildClientSchema(body.data);
  result[name] = {
    types: Object.keys(schema.getTypeMap()).length,
    sdlBytes: printSchema(schema).length,
    roots: [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map(
      (t) => t?.name,
    ),
  };
}
process.stdout.write(JSON.stringify(result) + '\n');
