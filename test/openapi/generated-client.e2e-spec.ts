import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { PROJECT_ROOT } from '../support/cli-runner';
import { describeEachDatabase } from '../support/test-app';
import { createUser } from '../factories/users';

// What a consumer does with the committed openapi.json: generate types (openapi-typescript),
// write a client with openapi-fetch against them, compile it under strict TypeScript, and call
// the running service with it.
jest.setTimeout(180_000);

const CLIENT_SOURCE = `
import createClient from 'openapi-fetch';
import type { paths, components } from './schema';

type Message = components['schemas']['MessageResponseDto'];

export async function renameThroughClient(
  baseUrl: string,
  key: string,
  flowId: string,
): Promise<{ stored: Message[]; renamed: Message[] }> {
  const client = createClient<paths>({ baseUrl, headers: { 'x-api-key': key } });
  const added = await client.POST('/api/v1/monitor/messages', {
    body: [
      { flow_id: flowId, session_id: 'chat 1', sender: 'User', sender_name: 'User', text: 'hi' },
      { flow_id: flowId, session_id: 'chat 1', sender: 'Machine', sender_name: 'AI', text: 'hello' },
    ],
  });
  if (added.error !== undefined) {
    throw new Error('ingest failed: ' + JSON.stringify(added.error));
  }
  const renamed = await client.PATCH('/api/v1/monitor/messages/session/{session_id}', {
    params: { path: { session_id: 'chat 1' }, query: { new_session_id: 'chat 2' } },
  });
  if (renamed.error !== undefined) {
    throw new Error('rename failed: ' + JSON.stringify(renamed.error));
  }
  const stored: Message[] = added.data;
  return { stored, renamed: renamed.data };
}
`;

describe('a client generated from openapi.json', () => {
  // Under node_modules, so that the client finds openapi-fetch as an installed package.
  const folder = path.join(
    PROJECT_ROOT,
    'node_modules',
    '.cache',
    `monitor-client-${randomUUID()}`,
  );
  let compiled: string;

  beforeAll(() => {
    fs.mkdirSync(folder, { recursive: true });
    // Its command line, as a consumer runs it (the library is ESM-only inside).
    const generated = spawnSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'openapi-typescript'),
      [path.join(PROJECT_ROOT, 'openapi.json'), '--output', path.join(folder, 'schema.ts')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect([generated.status, generated.stderr]).toEqual([0, expect.any(String)]);
    fs.writeFileSync(path.join(folder, 'client.ts'), CLIENT_SOURCE);
    compiled = path.join(folder, 'client.js');
  });
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('compiles under strict TypeScript with no error', () => {
    const program = ts.createProgram([path.join(folder, 'client.ts')], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      types: [],
      outDir: folder,
    });
    const emitted = program.emit();
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map(
      (diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
    );
    expect(diagnostics).toEqual([]);
    expect(fs.existsSync(compiled)).toBe(true);
  });

  describeEachDatabase('renaming a session through it', (ctx) => {
    it('stores two messages and moves them to the new session', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const client = require(compiled) as {
        renameThroughClient(
          baseUrl: string,
          key: string,
          flowId: string,
        ): Promise<{ stored: { id: string }[]; renamed: { id: string; session_id: string }[] }>;
      };

      const { stored, renamed } = await client.renameThroughClient(
        ctx().api.baseUrl,
        alice.key,
        flowId,
      );

      expect(renamed.map((message) => message.id).sort()).toEqual(
        stored.map((message) => message.id).sort(),
      );
      expect(renamed.every((message) => message.session_id === 'chat 2')).toBe(true);
      const listed = await ctx().api.get('/api/v1/monitor/messages', {
        key: alice.key,
        query: { session_id: 'chat 2' },
      });
      expect(listed.body).toHaveLength(2);
    });
  });
});
