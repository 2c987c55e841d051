import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it.each([
    ['/health', '/health'],
    ['/a?b=1', '/a?b=1'],
    ['/a?x-api-key=sk-secret', '/a?x-api-key=[REDACTED]'],
    ['/a?b=1&X-API-KEY=sk-secret&c=2', '/a?b=1&X-API-KEY=[REDACTED]&c=2'],
    ['/a?x%2Dapi%2Dkey=sk-secret', '/a?x%2Dapi%2Dkey=[REDACTED]'],
    ['/a?x-api-key', '/a?x-api-key=[REDACTED]'],
    ['/a?x-api-key[]=sk-secret', '/a?x-api-key[]=[REDACTED]'],
    ['/a?x-api-key%5B0%5D=sk-secret&b=1', '/a?x-api-key%5B0%5D=[REDACTED]&b=1'],
    [
      '/a?X_API_KEY=1&api-key=2&apikey=3&Api_Key=4',
      '/a?X_API_KEY=[REDACTED]&api-key=[REDACTED]&apikey=[REDACTED]&Api_Key=[REDACTED]',
    ],
    ['/a?x+api+key=1', '/a?x+api+key=[REDACTED]'],
    ['/a?x-api-key-not=1', '/a?x-api-key-not=1'],
    ['/a?monkey=1&api=2&key=3', '/a?monkey=1&api=2&key=3'],
    ['/a?%zz=1', '/a?%zz=1'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});
