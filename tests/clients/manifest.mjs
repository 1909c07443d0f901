// The persisted-query manifest a frontend build produces, with Apollo's own
// generator. Apollo wants one operation per document, so each operation of
// the given files (with the fragments of its file) is written to a file of
// its own first, as a frontend keeps them.
//
//   node manifest.mjs <documents-dir> <out-file>
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePersistedQueryManifest } from '@apollo/generate-persisted-query-manifest';
import { Kind, parse, print } from 'graphql';

const [documentsDir, out] = process.argv.slice(2);
const split = await mkdtemp(join(tmpdir(), 'switchboard-operations-'));
try {
  for (const file of (await readdir(documentsDir)).filter((f) => f.endsWith('.graphql'))) {
    const document = parse(await readFile(join(documentsDir, file), 'utf8'));
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    for (const operation of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
      const text = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] });
      await writeFile(join(split, `${operation.name.value}.graphql`), text);
    }
  }
  const manifest = await generatePersistedQueryManifest({ documents: [`${split}/*.graphql`] }, undefined);
  await writeFile(out, JSON.stringify(manifest, null, 2));
  process.stdout.write(JSON.stringify({ operations: manifest.operations.map((o) => o.name) }) + '\n');
} finally {
  await rm(split, { recursive: true, force: true });
}
