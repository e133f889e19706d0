// Console access to the server: log in over the WebSocket (auth.login), then the JSON admin API with a Bearer token.

const TOKEN_KEY = 'samvaer.console.token';
const WS_TIMEOUT_MS = 10000;

/** A refusal from the API: HTTP status plus the error body's code, message and field. */
export class ApiError extends Error {
  constructor(status, err) {
    super((err && err.message) || (err && err.code) || `The server answered ${status}.`);
    this.status = status;
    this.code = (err && err.code) || 'internal';
    this.field = (err && err.field) || null;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

/** One request/answer exchange on a fresh socket; closes it afterwards (the session outlives the socket). */
function wsExchange(frames) {
  return new Promise((resolve, reject) => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}/ws`, 'samvaer.v1');
    } catch (e) {
      reject(new ApiError(0, { code: 'offline', message: 'Cannot reach the server. Try again.' }));
      return;
    }
    const answers = [];
    const timer = setTimeout(() => {
      ws.close();
      reject(new ApiError(0, { code: 'offline', message: 'The server did not answer. Try again.' }));
    }, WS_TIMEOUT_MS);
    const finish = (fn) => { clearTimeout(timer); ws.onclose = null; ws.close(1000); fn(); };
    ws.onopen = () => ws.send(JSON.stringify(frames[0]));
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || msg.id === undefined) return; // events are not for the console
      answers.push(msg);
      if (!msg.ok) { finish(() => reject(new ApiError(0, msg.error))); return; }
      if (answers.length < frames.length) ws.send(JSON.stringify(frames[answers.length]));
      else finish(() => resolve(answers));
    };
    ws.onclose = () => {
      clearTimeout(timer);
      reject(new ApiError(0, { code: 'offline', message: 'Cannot reach the server. Try again.' }));
    };
  });
}

/** Log in; resolves with the account (GET /api/me) and keeps the token for this tab. */
export async function login(username, password) {
  const [answer] = await wsExchange([{ id: 1, type: 'auth.login', username, password, locale: navigator.language }]);
  sessionStorage.setItem(TOKEN_KEY, answer.result.token);
  return me();
}

/** End the session on the server (best effort) and forget the token. */
export async function logout() {
  const t = token();
  forgetToken();
  if (!t) return;
  try {
    await wsExchange([{ id: 1, type: 'auth.resume', token: t }, { id: 2, type: 'auth.logout' }]);
  } catch (e) { /* the token is gone from this tab either way */ }
}

/** Call the API; resolves with the parsed body, rejects with ApiError. */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { code: 'offline', message: 'Cannot reach the server. Try again.' });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!res.ok) throw new ApiError(res.status, data && data.error);
  return data;
}

/** POST and take the answer as a file (a Blob); rejects with ApiError like call. */
export async function postForFile(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { code: 'offline', message: 'Cannot reach the server. Try again.' });
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    throw new ApiError(res.status, data && data.error);
  }
  return res.blob();
}

export const get = (path) => call('GET', path);
export const post = (path, body = {}) => call('POST', path, body);
export const me = () => get('/api/me');

/** Lists may come bare or wrapped ({cases: [...]}); take either. */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  return [];
}
