// Request bodies as JSON, refused before parsing when nested deeper than any request of ours needs:
// a body 5,000 levels deep must be a clear 400, never a stack overflow further in.

/** Our deepest body (a contact change's contacts) is 3 levels; this leaves room, and nothing more. */
export const maxJsonDepth = 16;

export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJsonBody(text: string, maxDepth = maxJsonDepth): JsonBody {
  if (text.trim() === '') return { ok: false, message: 'expected a JSON body, got an empty one' };
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const c = text.charCodeAt(index);
    if (inString) {
      if (c === 0x5c) index++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return { ok: false, message: `JSON nested deeper than ${maxDepth} levels` };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'not valid JSON' };
  }
}
