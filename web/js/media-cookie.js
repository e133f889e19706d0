// The samvaer_media cookie: POST /media/session with the session token sets it, so <img>, <video> and <audio> can
// read /media/<id> (they cannot send an Authorization header). Media elements get their source once it is set.

const TOKEN_KEY = 'samvaer.token';
let session = null;      // promise of the cookie being set for sessionToken
let sessionToken = null;

/** Set the media cookie for this token (once; again with force, e.g. after a refused image). */
export function mediaSession(token = localStorage.getItem(TOKEN_KEY), force = false) {
  if (!token) return Promise.resolve(false);
  if (session && sessionToken === token && !force) return session;
  sessionToken = token;
  session = fetch('/media/session', {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, credentials: 'same-origin',
  }).then((r) => r.ok, () => false);
  return session;
}

/** Give node[attr] = url once the cookie is there; a failed load tries once more with a fresh cookie. */
export function loadWhenReady(node, attr, url) {
  let retried = false;
  node.addEventListener('error', async () => {
    if (retried) {
      node.dataset.failed = 'yes';
      return;
    }
    retried = true;
    await mediaSession(localStorage.getItem(TOKEN_KEY), true);
    node.removeAttribute(attr);
    node.setAttribute(attr, url);
  });
  mediaSession().then(() => node.setAttribute(attr, url));
}
