// Unfinished media sends kept in IndexedDB (the file itself and its tus URL), so a reload or a closed tab picks the
// upload up where the server got to. A record goes away once its message is sent or refused.

const DB = 'samvaer-uploads';
const STORE = 'sends';

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

async function run(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/**
 * Keep (or update) one send: {key (client_key), account (owner id), aid, kind, blob, name, caption, url, created}.
 * Failing storage (private mode, quota) only loses resuming after a reload, never the send itself.
 */
export async function queuePut(record) {
  try {
    await run('readwrite', (s) => s.put(record));
  } catch (e) { /* see above */ }
}

/** Remember the tus URL of a send as soon as the server made it. */
export async function queueSetUrl(key, url) {
  try {
    const rec = await run('readonly', (s) => s.get(key));
    if (rec) await run('readwrite', (s) => s.put({ ...rec, url }));
  } catch (e) { /* see queuePut */ }
}

export async function queueDelete(key) {
  try {
    await run('readwrite', (s) => s.delete(key));
  } catch (e) { /* see queuePut */ }
}

/** Every unfinished send of one account, oldest first. */
export async function queueList(accountId) {
  try {
    const all = await run('readonly', (s) => s.getAll());
    return (all || []).filter((r) => r.account === accountId).sort((a, b) => a.created - b.created);
  } catch (e) {
    return [];
  }
}
