import { isSecretName, maskSecret, maskSecrets, REDACTED } from './secret-masking';

describe('isSecretName', () => {
  it.each([
    'api_key',
    'API_KEY',
    'api-key',
    'apikey',
    'password',
    'passwd',
    'secret',
    'token',
    'auth_token',
    'access_token',
    'api_token',
    'bearer_token',
    'credential',
    'credentials',
    'auth',
    'Authorization',
    'bearer',
    'private_key',
    'private-key',
    'access_key',
    'access-key',
    'openai_api_key',
    'anthropic_api_key',
    'OPENAI_API_KEY',
    'db_password',
    'db-password',
    'userpassword',
    'client_secret',
    'refresh_token',
    'aws_credential',
    'oauth',
    'x_auth',
    'proxy-bearer',
    'ssh_private_key',
    'aws_access_key',
    'x-api-key',
  ])('%s is a secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'max_tokens',
    'author',
    'authentication_method',
    'input_value',
    'model_name',
    'tokens',
    'passwords_count',
    'secretary',
    'code_language',
    'key',
    'temperature',
  ])('%s is not a secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe('maskSecret', () => {
  it.each([
    ['sk-proj-abcdefghijklmnop', 'sk-p...mnop'],
    ['1234567890123', '1234...0123'],
    ['123456789012', REDACTED],
    ['short', REDACTED],
    ['', REDACTED],
    [12345678901234, REDACTED],
    [null, REDACTED],
    [true, REDACTED],
    [{ nested: 'sk-proj-abcdefghijklmnop' }, REDACTED],
    [['sk-proj-abcdefghijklmnop'], REDACTED],
    ['🔑🔑🔑🔑-middle-part-🔒🔒🔒🔒', '🔑🔑🔑🔑...🔒🔒🔒🔒'],
  ])('masks %j as %j', (value, expected) => {
    expect(maskSecret(value)).toBe(expected);
  });
});

describe('maskSecrets', () => {
  it('masks secrets and drops code at any depth, keeping everything else exactly', () => {
    const input = {
      input_value: 'Hello',
      max_tokens: 256,
      author: 'Ada',
      authentication_method: 'oauth2',
      api_key: 'sk-proj-abcdefghijklmnop',
      password: 'hunter2',
      code: 'import os\nprint(os.environ)',
      template: {
        openai_api_key: { value: 'sk-live-0123456789abcdef' },
        Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
        code: { value: 'def build(): ...' },
        model_name: 'gpt-4o',
        list: [{ token: 'abc', keep: 1, code: 'x' }, 'plain', 7, null],
      },
    };

    expect(maskSecrets(input)).toEqual({
      input_value: 'Hello',
      max_tokens: 256,
      author: 'Ada',
      authentication_method: 'oauth2',
      api_key: 'sk-p...mnop',
      password: REDACTED,
      template: {
        openai_api_key: REDACTED,
        Authorization: 'Bear....sig',
        model_name: 'gpt-4o',
        list: [{ token: REDACTED, keep: 1 }, 'plain', 7, null],
      },
    });
  });

  it('leaves values that are not objects as they are', () => {
    expect(maskSecrets('sk-proj-abcdefghijklmnop')).toBe('sk-proj-abcdefghijklmnop');
    expect(maskSecrets(null)).toBeNull();
    expect(maskSecrets([1, 'a'])).toEqual([1, 'a']);
  });
});
