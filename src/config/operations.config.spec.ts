import { ConfigError, loadAppConfig } from './app.config';

function problemOf(env: NodeJS.ProcessEnv): string {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n- ')[1];
  }
  throw new Error('loadAppConfig accepted the environment');
}

describe('operations settings', () => {
  it('reads LOG_FORMAT, METRICS_PORT, CORS_ORIGINS and TRUSTED_PROXIES', () => {
    expect(
      loadAppConfig({
        LOG_FORMAT: 'Pretty',
        METRICS_PORT: '9464',
        CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        TRUSTED_PROXIES: 'loopback, 10.0.0.0/8, 192.168.1.7, fd00::/8',
      }),
    ).toMatchObject({
      logFormat: 'pretty',
      metricsPort: 9464,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      trustedProxies: ['loopback', '10.0.0.0/8', '192.168.1.7', 'fd00::/8'],
    });
  });

  it('takes a hop count for TRUSTED_PROXIES, 0 meaning none', () => {
    expect(loadAppConfig({ TRUSTED_PROXIES: '2' }).trustedProxies).toBe(2);
    expect(loadAppConfig({ TRUSTED_PROXIES: '0' }).trustedProxies).toBe(false);
    expect(loadAppConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadAppConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it.each([
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be json or pretty, got "xml".'],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT must be a whole number from 1 to 65535, got "0".'],
    [{ METRICS_PORT: 'x' }, 'METRICS_PORT must be a whole number from 1 to 65535, got "x".'],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'got "https://app.example.com/path".'],
    [{ CORS_ORIGINS: 'app.example.com' }, 'got "app.example.com".'],
    [{ TRUSTED_PROXIES: '10.0.0.0/33, proxy.local' }, 'got "10.0.0.0/33, proxy.local".'],
  ])('refuses %j', (env, sentence) => {
    expect(problemOf(env)).toContain(sentence);
  });
});
