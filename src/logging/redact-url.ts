/**
 * Query parameters whose value is logged as `[REDACTED]`, whatever it is: the service's own
 * `x-api-key` and the spellings a client may try instead (`X_API_KEY`, `api-key`, `apikey`, with
 * `[]` or `[0]` after them), matched on the decoded, lowercased name. A key-shaped value is
 * scrubbed wherever it is (scrubApiKeys); this also hides a mistyped or truncated key.
 */
const KEY_PARAMETER = /^(x[-_ ]?)?api[-_ ]?key(\[[^\]]*\])*$/;

function decodedName(part: string): string {
  const name = part.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * The URL with the value of any API-key query parameter (however its name is spelled or
 * encoded) replaced, so that a key passed in the query never reaches a log.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) {
    return url;
  }
  const query = url
    .slice(start + 1)
    .split('&')
    .map((part) =>
      KEY_PARAMETER.test(decodedName(part)) ? `${part.split('=', 1)[0]}=[REDACTED]` : part,
    )
    .join('&');
  return `${url.slice(0, start)}?${query}`;
}
