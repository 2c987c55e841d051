/** Now, in the stored timestamp form: ISO-8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}
