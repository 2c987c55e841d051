import { createHash } from 'node:crypto';

/**
 * A strong entity tag for a message: a digest of its MessageResponse JSON and of its `error` flag
 * (which a PUT can change but the response does not show), so any change to any field (an edit, a
 * rename of its session) gives a new tag without a version column to maintain.
 */
export function messageEtag(json: string, error: boolean): string {
  const digest = createHash('sha256')
    .update(json)
    .update(error ? '\n1' : '\n0');
  return `"${digest.digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an If-Match header lets a change go ahead for the current tag (RFC 9110 13.1.1):
 * `*` matches any existing message; otherwise one of the listed tags must match by strong
 * comparison, so weak tags (`W/"..."`) never do.
 */
export function ifMatchAllows(header: string, currentEtag: string): boolean {
  const value = header.trim();
  if (value === '*') {
    return true;
  }
  const tags = value.match(/(W\/)?"[^"]*"/g) ?? [];
  return tags.some((tag) => !tag.startsWith('W/') && tag === currentEtag);
}
