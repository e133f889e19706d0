// bubbles.mjs: the family app's message bubbles, found by their text alone. A bubble's time ("5:02 PM") follows its
// text inside it, so a match over the whole bubble would let "bulk 5" find "bulk 55" sent at 5 PM.
const exactly = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** The bubble whose text is exactly `text`: acknowledged by the server (it has a seq) unless { any: true }. */
export function bubble(page, text, { any = false } = {}) {
  return page.locator(any ? '[data-testid="bubble"]' : '[data-testid="bubble"][data-seq]', {
    has: page.locator('.bubble-text', { hasText: exactly(text) }),
  });
}
