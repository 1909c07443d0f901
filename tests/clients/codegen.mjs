// graphql-codegen against the running server's URL: the TypeScript types of
// every operation in the given documents, as a frontend build makes them.
//
//   node codegen.mjs <graphql-url> <bearer-token> <documents-glob> <out-file>
//
// Prints {"file": path, "bytes": n}; exits 1 when codegen cannot generate
// (the schema cannot be introspected, or a document does not validate).
import { generate } from '@graphql-codegen/cli';

const [url, token, documents, out] = process.argv.slice(2);

try {
  const files = await generate(
    {
      schema: { [url]: { headers: { Authorization: `Bearer ${token}` } } },
      documents,
      silent: true,
      errorsOnly: true,
      generates: { [out]: { plugins: ['typescript', 'typescript-operations'] } },
    },
    true,
  );
  process.stdout.write(JSON.stringify({ file: out, bytes: files[0].content.length }) + '\n');
} catch (error) {
  console.error(error.message ?? error);
  for (const e of error.errors ?? []) console.error(e.message ?? e);
  process.exit(1);
}
