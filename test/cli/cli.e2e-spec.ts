import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../src/auth/api-key.entity';
import { hasUnprintableCharacter } from '../../src/common/validation/control-characters';
import { User } from '../../src/auth/user.entity';
import { createUser } from '../factories/users';
import { databaseEnv, lastLine, runCli } from '../support/cli-runner';
import { describeEachDatabase } from '../support/test-app';

// Every command is a real `npm run --silent cli -- ...` child process on the suite's database,
// while the service runs in-process on the same database: what one writes, the other sees.
jest.setTimeout(180_000);

const KEY_FORMAT = /^sk-[A-Za-z0-9_-]{32,}$/;
const INVALID = { detail: 'Invalid or missing API key' };

describeEachDatabase('admin CLI', (ctx) => {
  const cli = (...args: string[]) => runCli(args, databaseEnv(ctx().database));

  /** Whether the running service lets a key in. */
  async function works(plainKey: string): Promise<boolean> {
    const response = await ctx().api.get('/api/v1/api_key/', { key: plainKey });
    if (response.status === 403) {
      expect(response.body).toEqual(INVALID);
      return false;
    }
    expect(response.status).toBe(200);
    return true;
  }

  function userNamed(username: string): Promise<User | null> {
    return ctx().dataSource.getRepository(User).findOneBy({ username });
  }

  function keysOf(userId: string): Promise<ApiKey[]> {
    return ctx()
      .dataSource.getRepository(ApiKey)
      .find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  describe('user create', () => {
    it('creates a user and prints its first key alone on the last line; the key works', async () => {
      const result = await cli('user', 'create', 'alice');

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const key = lastLine(result.stdout);
      expect(key).toMatch(KEY_FORMAT);
      const user = await userNamed('alice');
      expect(user).toMatchObject({ isActive: true, isSuperuser: false });
      expect(await keysOf(user!.id)).toHaveLength(1);

      const listed = await ctx().api.get('/api/v1/api_key/', { key });
      expect(listed.status).toBe(200);
      expect(listed.body.user_id).toBe(user!.id);
      // Shown once: nothing else printed carries the key, and the database holds only its hash.
      expect(result.stdout.split(key)).toHaveLength(2);
      expect(JSON.stringify(await keysOf(user!.id))).not.toContain(key.slice(3));
    });

    it('with --superuser creates a superuser', async () => {
      const result = await cli('user', 'create', 'root', '--superuser');

      expect(result.code).toBe(0);
      const key = lastLine(result.stdout);
      expect(key).toMatch(KEY_FORMAT);
      expect(await userNamed('root')).toMatchObject({ isActive: true, isSuperuser: true });
      expect(await works(key)).toBe(true);
    });

    it('refuses a username that is taken, with a sentence on stderr and no new key', async () => {
      const alice = await createUser(ctx());

      const result = await cli('user', 'create', alice.username);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`User already exists: ${alice.username}`);
      expect(result.stdout).not.toMatch(/sk-/);
      expect(await keysOf(alice.id)).toHaveLength(1);
    });
  });

  describe('key create', () => {
    it('makes a named key for a user, printed alone on the last line, that works at once', async () => {
      const alice = await createUser(ctx());

      const result = await cli('key', 'create', alice.username, '--name', 'deploy bot');

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const key = lastLine(result.stdout);
      expect(key).toMatch(KEY_FORMAT);
      expect(key).not.toBe(alice.key);
      const keys = await keysOf(alice.id);
      expect(keys.map((k) => k.name).sort()).toEqual(['default', 'deploy bot']);
      const listed = await ctx().api.get('/api/v1/api_key/', { key });
      expect(listed.status).toBe(200);
      expect(listed.body.user_id).toBe(alice.id);
      expect(await works(alice.key)).toBe(true);
    });

    it('refuses an unknown user with a sentence on stderr', async () => {
      const result = await cli('key', 'create', 'nobody-by-that-name');

      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe('User not found: nobody-by-that-name');
      expect(result.stdout).toBe('');
      expect(await ctx().dataSource.getRepository(ApiKey).count()).toBe(1);
    });
  });

  describe('key names, expiry and last use', () => {
    it('never prints a control character of a stored name raw', async () => {
      const alice = await createUser(ctx());
      // A name stored before names were checked, or written to the database by hand.
      const hostile = 'evil\u001b[2J\u001b]0;owned\u0007\u009b31m\u202etxt';
      await ctx().dataSource.getRepository(ApiKey).update({ userId: alice.id }, { name: hostile });

      const result = await cli('key', 'list', alice.username);

      expect(result.code).toBe(0);
      // Nothing unprintable but the line breaks.
      expect(hasUnprintableCharacter(result.stdout.replace(/\n/g, ''))).toBe(false);
      expect(result.stdout).toContain(
        'evil\\u{001B}[2J\\u{001B}]0;owned\\u{0007}\\u{009B}31m\\u{202E}txt',
      );
    });

    it('refuses a key name with a control character or over 100 characters, making no key', async () => {
      const alice = await createUser(ctx());
      for (const name of ['bad\u001b[2Jname']) {
        const result = await cli('key', 'create', alice.username, '--name', name);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/^A key name has 1 to 100 printable characters/);
        expect(result.stderr).not.toContain('\u001b');
      }
      expect(await keysOf(alice.id)).toHaveLength(1);
    });

    it('makes a key that expires, and lists expiry and last use', async () => {
      const alice = await createUser(ctx());
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const created = await cli('key', 'create', alice.username, '--expires-at', expiresAt);
      expect(created.code).toBe(0);
      const plainKey = lastLine(created.stdout);
      expect(await works(plainKey)).toBe(true);

      const listed = await cli('key', 'list', alice.username);
      const line = listed.stdout.split('\n').find((text) => text.includes(expiresAt));
      expect(line).toMatch(/expires \S+ {2}last used \d{4}-\d{2}-\d{2}T\S+Z {2}cli$/);
      expect(listed.stdout).toMatch(/never expires {2}never used {2}default$/m);

      const past = await cli(
        'key',
        'create',
        alice.username,
        '--expires-at',
        '2020-01-01T00:00:00Z',
      );
      expect(past.code).toBe(2);
      expect(past.stderr).toMatch(/^--expires-at takes a time in the future/);
    });
  });

  describe('key list', () => {
    it("lists a user's keys with their ids and never the secrets", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const second = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        body: { name: 'second' },
      });

      const result = await cli('key', 'list', alice.username);

      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const keys = await keysOf(alice.id);
      for (const stored of keys) {
        expect(result.stdout).toContain(stored.id);
        expect(result.stdout).toContain(stored.name);
        expect(result.stdout).not.toContain(stored.keyHash);
      }
      for (const secret of [alice.key, second.body.api_key as string, bob.key]) {
        expect(result.stdout).not.toContain(secret.slice(3));
      }
      for (const stored of await keysOf(bob.id)) {
        expect(result.stdout).not.toContain(stored.id);
      }
    });
  });

  describe('key revoke', () => {
    it('revokes a key by id; the service refuses it at once', async () => {
      const alice = await createUser(ctx());
      const extra = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        body: { name: 'extra' },
      });
      expect(await works(extra.body.api_key)).toBe(true);

      const result = await cli('key', 'revoke', extra.body.id);

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await works(extra.body.api_key)).toBe(false);
      expect(await works(alice.key)).toBe(true);
      expect((await keysOf(alice.id)).map((k) => k.id)).not.toContain(extra.body.id);
    });

    it('refuses an id that names no key, and revokes nothing', async () => {
      const alice = await createUser(ctx());

      const result = await cli('key', 'revoke', randomUUID());

      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe('API key not found');
      expect(await works(alice.key)).toBe(true);
    });

    it('refuses an id that is not a UUID as a usage error', async () => {
      const result = await cli('key', 'revoke', 'not-a-uuid');

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^A key id is a UUID, as shown by "key list"\./);
      expect(result.stderr).toContain('Usage: monitor-service <command>');
    });
  });

  describe('user deactivate', () => {
    it('deactivates a user: every key of theirs is refused, their data stays', async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const extra = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        body: { name: 'extra' },
      });

      const result = await cli('user', 'deactivate', alice.username);

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await works(alice.key)).toBe(false);
      expect(await works(extra.body.api_key)).toBe(false);
      expect(await works(bob.key)).toBe(true);
      expect(await userNamed(alice.username)).toMatchObject({ isActive: false });
      expect(await keysOf(alice.id)).toHaveLength(2);
    });

    it('refuses an unknown user with a sentence on stderr', async () => {
      const result = await cli('user', 'deactivate', 'ghost');

      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe('User not found: ghost');
    });
  });

  describe('user activate and user list', () => {
    it("lists users with their state; activate makes a deactivated user's keys work again", async () => {
      const alice = await createUser(ctx());
      expect((await cli('user', 'deactivate', alice.username)).code).toBe(0);
      expect(await works(alice.key)).toBe(false);

      const listed = await cli('user', 'list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(`${alice.username}  ${alice.id}  inactive  user  `);
      expect(listed.stdout).toMatch(/^admin {2}[0-9a-f-]{36} {2}active {2}superuser /m);

      const result = await cli('user', 'activate', alice.username);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(await works(alice.key)).toBe(true);
      expect(await userNamed(alice.username)).toMatchObject({ isActive: true });
    });

    it('refuses to create a username with spaces or punctuation, creating nothing', async () => {
      const result = await cli('user', 'create', 'bad name!');

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^A new username has 1 to 64 characters/);
      expect(await userNamed('bad name!')).toBeNull();
    });
  });

  describe('bad arguments', () => {
    it('refuses an unknown command with a sentence and the usage on stderr', async () => {
      const result = await cli('user', 'delete', 'alice');

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^Unknown command "user delete"\./);
      expect(result.stderr).toContain('Usage: monitor-service <command>');
      expect(result.stdout).toBe('');
    });

    it('refuses a missing username and an option without its value, creating nothing', async () => {
      const missing = await cli('user', 'create');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^Expected exactly one username\./);

      const alice = await createUser(ctx());
      const noValue = await cli('key', 'create', alice.username, '--name');
      expect(noValue.code).toBe(2);
      expect(noValue.stderr).toMatch(/^Option --name needs a value\./);
      expect(noValue.stdout).not.toMatch(/sk-/);

      expect(await ctx().dataSource.getRepository(User).count()).toBe(2);
      expect(await keysOf(alice.id)).toHaveLength(1);
    });
  });
});

describe('admin CLI configuration', () => {
  it('refuses an invalid DATABASE_URL with the configuration sentence', async () => {
    const result = await runCli(['key', 'list', 'admin'], { DATABASE_URL: 'mysql://db/monitor' });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Invalid configuration:\n' +
        '- DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db.\n',
    );
    expect(result.stdout).toBe('');
  }, 120_000);

  it('fails with a sentence and the usage on stderr when no command is given', async () => {
    const result = await runCli([], { DATABASE_URL: 'sqlite::memory:' });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^No command given\./);
    expect(result.stderr).toContain('Usage: monitor-service <command>');
    expect(result.stdout).toBe('');
  }, 120_000);

  it('--help prints the usage on stdout and succeeds', async () => {
    const result = await runCli(['--help'], { DATABASE_URL: 'sqlite::memory:' });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: monitor-service <command>');
    expect(result.stdout).toContain('key revoke <key-id>');
    expect(result.stderr).toBe('');
  }, 120_000);
});
