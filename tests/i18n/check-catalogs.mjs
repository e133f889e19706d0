// check-catalogs.mjs: unit.i18n_catalogs: checks the catalogs of the family app, the console and the server against
// each other and against the code (tests/i18n/catalogs.mjs says what); exits 1 listing every problem.
// --fix rewrites the catalogs canonically (keys sorted, one per line) first; messages are never changed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoApps, checkApp, fixApp } from './catalogs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const problems = [];
for (const app of repoApps(root)) {
  if (process.argv.includes('--fix')) fixApp(app);
  const found = checkApp(app, root);
  problems.push(...found);
  console.log(`${app.name}: ${found.length ? `${found.length} problem(s)` : 'in order'}`);
}
if (problems.length) {
  console.error(problems.map((p) => `  ${p}`).join('\n'));
  console.error(`i18n catalogs: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('i18n catalogs: in order');
