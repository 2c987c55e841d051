import { ApiKeyService } from '../auth/api-key.service';
import { UsersService } from '../auth/users.service';
import { MAX_KEY_NAME_LENGTH } from '../auth/dto/create-api-key.dto';
import {
  hasControlCharacter,
  hasUnprintableCharacter,
} from '../common/validation/control-characters';
import { codePointLength, normalizeTimestamp } from '../common/validation/fields';

/** What a command may use, and where it writes. */
export interface CliContext {
  users: UsersService;
  apiKeys: ApiKeyService;
  /** The names of the migrations the database has, oldest first. */
  appliedMigrations: () => Promise<string[]>;
  /** Undoes the latest applied migration; its name, or undefined when there was none. */
  revertMigration: () => Promise<string | undefined>;
  out: (line: string) => void;
  /** Brings a Langflow database over; the summary's lines. */
  importLangflow: (from: string) => Promise<string[]>;
}

/** A mistake in how the command was called: usage is printed and the exit code is 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: monitor-service <command>
  (from the build: node dist/src/cli/main.js <command>; from source: npm run --silent cli -- <command>)

Commands:
  user create <username> [--superuser]   create a user; prints its first API key on the last line
  user list                              list the users: name, id, active or not, superuser or not
  user deactivate <username>             deactivate a user: every key of theirs stops working
  user activate <username>               let a deactivated user's keys work again
  key create <username> [--name <name>] [--expires-at <RFC 3339 time>]
                                         make an API key; prints it on the last line
  key list <username>                    list a user's keys (never the secrets), with their
                                         expiry and last use
  key revoke <key-id>                    revoke a key; it stops working at once
  import-langflow --from <source>        bring a Langflow database over (a SQLite file or a
                                         postgres:// URL): users (each new one gets a key,
                                         printed once), flows, messages, transactions, builds;
                                         running it again changes nothing
  migration run                          apply pending migrations (every command does, first)
  migration revert                       undo the latest applied migration (applies none first)
  --version                              print the version
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parse(args: string[], flags: Record<string, 'boolean' | 'string'>) {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    const kind = flags[name];
    if (!kind) {
      throw new UsageError(`Unknown option ${arg}.`);
    }
    if (kind === 'boolean') {
      options[name] = true;
    } else {
      const value = args[index + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`Option ${arg} needs a value.`);
      }
      options[name] = value;
      index += 1;
    }
  }
  return { positional, options };
}

function one(positional: string[], what: string): string {
  if (positional.length !== 1) {
    throw new UsageError(`Expected exactly one ${what}.`);
  }
  return positional[0];
}

function none(positional: string[], command: string): void {
  if (positional.length > 0) {
    throw new UsageError(`"${command}" takes no arguments.`);
  }
}

function username(positional: string[]): string {
  const name = one(positional, 'username');
  if (name.length === 0 || name.length > 255 || hasControlCharacter(name)) {
    throw new UsageError('A username has 1 to 255 characters and no control characters.');
  }
  return name;
}

/** An --expires-at value: an RFC 3339 time in the future, kept in the stored form. */
function expiry(value: string | boolean | undefined): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const normalized = normalizeTimestamp(value);
  if (normalized === null || Date.parse(normalized) <= Date.now()) {
    throw new UsageError(
      '--expires-at takes a time in the future, in RFC 3339 (e.g. 2027-01-01T00:00:00Z).',
    );
  }
  return normalized;
}

/** What a new username may be: something a shell, a log and a URL all carry unquoted. */
const NEW_USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function newUsername(positional: string[]): string {
  const name = one(positional, 'username');
  if (!NEW_USERNAME.test(name)) {
    throw new UsageError(
      'A new username has 1 to 64 characters: letters, digits, ".", "_", "@" and "-", starting with a letter or digit.',
    );
  }
  return name;
}

/** Runs one command. Throws UsageError for bad arguments and DomainError for refusals. */
export async function runCommand(argv: string[], context: CliContext): Promise<void> {
  if (argv[0] === 'import-langflow') {
    const { positional, options } = parse(argv.slice(1), { from: 'string' });
    if (positional.length > 0 || typeof options.from !== 'string') {
      throw new UsageError('import-langflow needs --from <SQLite file or postgres:// URL>.');
    }
    for (const line of await context.importLangflow(options.from)) {
      context.out(line);
    }
    return;
  }
  const [group, action, ...rest] = argv;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  switch (command) {
    case 'user create': {
      const { positional, options } = parse(rest, { superuser: 'boolean' });
      const created = await context.users.create(newUsername(positional), {
        superuser: options.superuser === true,
      });
      context.out(
        `Created ${options.superuser ? 'superuser' : 'user'} ${created.user.username} (${created.user.id}).`,
      );
      context.out(`API key (shown only now, store it safely):`);
      context.out(created.apiKey.plainKey);
      return;
    }
    case 'user deactivate': {
      const { positional } = parse(rest, {});
      const name = username(positional);
      await context.users.deactivate(name);
      context.out(`Deactivated ${name}: their API keys no longer work.`);
      return;
    }
    case 'user activate': {
      const { positional } = parse(rest, {});
      const name = username(positional);
      await context.users.activate(name);
      context.out(`Activated ${name}: their API keys work again.`);
      return;
    }
    case 'user list': {
      none(parse(rest, {}).positional, command);
      for (const user of await context.users.list()) {
        const state = user.isActive ? 'active' : 'inactive';
        const role = user.isSuperuser ? 'superuser' : 'user';
        context.out(`${user.username}  ${user.id}  ${state}  ${role}  ${user.createdAt}`);
      }
      return;
    }
    case 'migration run': {
      none(parse(rest, {}).positional, command);
      // Opening the database applied them: report what is there now.
      context.out(`Migrations applied: ${(await context.appliedMigrations()).join(', ')}.`);
      return;
    }
    case 'migration revert': {
      none(parse(rest, {}).positional, command);
      const reverted = await context.revertMigration();
      context.out(
        reverted
          ? `Migration ${reverted} has been reverted successfully.`
          : 'No migration is applied: nothing to revert.',
      );
      return;
    }
    case 'key create': {
      const { positional, options } = parse(rest, { name: 'string', 'expires-at': 'string' });
      const owner = username(positional);
      const keyName = typeof options.name === 'string' ? options.name : 'cli';
      if (
        keyName.length === 0 ||
        codePointLength(keyName) > MAX_KEY_NAME_LENGTH ||
        hasUnprintableCharacter(keyName)
      ) {
        throw new UsageError(
          `A key name has 1 to ${MAX_KEY_NAME_LENGTH} printable characters (no control characters).`,
        );
      }
      const expiresAt = expiry(options['expires-at']);
      const user = await context.users.findByUsername(owner);
      const issued = await context.apiKeys.issue(user.id, keyName, { expiresAt });
      const until = expiresAt ? `, expiring ${expiresAt}` : '';
      context.out(`Created key ${issued.record.id} "${keyName}" for ${user.username}${until}.`);
      context.out(`API key (shown only now, store it safely):`);
      context.out(issued.plainKey);
      return;
    }
    case 'key list': {
      const { positional } = parse(rest, {});
      const user = await context.users.findByUsername(username(positional));
      const keys = await context.apiKeys.list(user.id);
      if (keys.length === 0) {
        context.out(`${user.username} has no API keys.`);
      }
      for (const key of keys) {
        const expires = key.expiresAt ? `expires ${key.expiresAt}` : 'never expires';
        const used = key.lastUsedAt ? `last used ${key.lastUsedAt}` : 'never used';
        context.out(
          `${key.id}  ${key.keyPreview}  ${key.createdAt}  ${expires}  ${used}  ${key.name}`,
        );
      }
      return;
    }
    case 'key revoke': {
      const { positional } = parse(rest, {});
      const id = one(positional, 'key id');
      if (!UUID.test(id)) {
        throw new UsageError('A key id is a UUID, as shown by "key list".');
      }
      await context.apiKeys.revokeAny(id.toLowerCase());
      context.out(`Revoked key ${id.toLowerCase()}.`);
      return;
    }
    default:
      throw new UsageError(command ? `Unknown command "${command}".` : 'No command given.');
  }
}
