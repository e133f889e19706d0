// Test set-up through samvaer-admin: run it, add people with a password, set an agreement's terms by an
// approved proposal (the caseworker proposes, the carer approves; ana and elena of the demo seed).

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** admin(args, stdin) runs samvaer-admin on the data dir and returns its stdout, or throws. */
export function adminRunner(adminBin, data) {
  return (args, input) => {
    const r = spawnSync(adminBin, ['--data', data, ...args], { encoding: 'utf8', timeout: 10000, input });
    if (r.status !== 0) throw new Error(`samvaer-admin ${args.join(' ')}: ${r.status} ${r.stderr}`);
    return r.stdout;
  };
}

/** Add [username, role, display name] accounts with one password; returns {username: id}. */
export function addPeople(admin, people, password) {
  const ids = {};
  for (const [user, role, name] of people) {
    ids[user] = Number(admin(['account', 'add', user, '--role', role, '--name', name, '--password-file', '-'], `${password}\n`).trim());
  }
  return ids;
}

/** A case for child in zone, linked to the demo's caseworker (ana) and carer (elena), plus extra links. */
export function addCase(admin, child, zone, links = []) {
  admin(['case', 'add', child, '--tz', zone]);
  for (const [flag, user] of [['--caseworker', 'ana'], ['--carer', 'elena'], ...links]) admin(['case', 'link', child, flag, user]);
}

/** New terms for agreement aid, proposed by ana and approved by elena: in force at once. */
export function setTerms(admin, dir, aid, terms) {
  const file = path.join(dir, `terms-${aid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(terms));
  const id = admin(['proposal', 'add', String(aid), '--terms', file, '--as', 'ana']).trim().split(/\s+/).pop();
  const out = admin(['proposal', 'approve', id, '--as', 'elena']);
  if (!/in force/.test(out)) throw new Error(`approve said: ${out}`);
}
