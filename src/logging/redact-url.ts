const API_KEY_PARAMETER = 'x-api-key';

function decodedName(part: string): string {
  const name = part.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * The URL with the value of any `x-api-key` query parameter (however its name is encoded)
 * replaced, so that a key passed in the query never reaches a log.
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
      decodedName(part) === API_KEY_PARAMETER ? `${part.split('=', 1)[0]}=[REDACTED]` : part,
    )
    .join('&');
  return `${url.slice(0, start)}?${query}`;
}
