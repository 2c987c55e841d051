import { randomUUID } from 'node:crypto';
import { Flow } from '../../src/monitor/flow.entity';
import { Message } from '../../src/monitor/message.entity';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { ADMIN_KEY, describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const session = (id: string) => `${MESSAGES}/session/${encodeURIComponent(id)}`;
const NO_SESSION = { detail: 'No messages found with the given session ID' };
const NO_MESSAGE = { detail: 'Message not found' };

interface StoredRow {
  id: string;
  flow_id: string;
  session_id: string;
  text: string;
}

describeEachDatabase('ownership', (ctx) => {
  /** What the database holds, read straight from the message table, ordered by id. */
  async function rows(where: { flowId?: string; sessionId?: string } = {}): Promise<StoredRow[]> {
    const query = ctx()
      .dataSource.createQueryBuilder()
      .select('m.id', 'id')
      .addSelect('m.flow_id', 'flow_id')
      .addSelect('m.session_id', 'session_id')
      .addSelect('m.text', 'text')
      .from(Message, 'm')
      .orderBy('m.id', 'ASC');
    if (where.flowId) {
      query.andWhere('m.flow_id = :flowId', { flowId: where.flowId });
    }
    if (where.sessionId) {
      query.andWhere('m.session_id = :sessionId', { sessionId: where.sessionId });
    }
    return query.getRawMany<StoredRow>();
  }

  const ids = (messages: { id: string }[]) => messages.map((m) => m.id).sort();

  describe('two users with a session of the same name', () => {
    it("renaming one user's 'default' never touches the other's", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const aliceFlow = randomUUID();
      const bobFlow = randomUUID();
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 'default',
        flowId: aliceFlow,
        count: 3,
      });
      const bobMessages = await ingestSession(ctx(), bob.key, {
        sessionId: 'default',
        flowId: bobFlow,
        count: 4,
      });

      const response = await ctx().api.patch(session('default'), {
        key: bob.key,
        query: { new_session_id: 'renamed' },
      });

      expect(response.status).toBe(200);
      expect(ids(response.body)).toEqual(ids(bobMessages));
      expect(await rows({ flowId: aliceFlow })).toEqual(
        ids(aliceMessages).map((id) => expect.objectContaining({ id, session_id: 'default' })),
      );
      expect(await rows({ flowId: bobFlow })).toEqual(
        ids(bobMessages).map((id) => expect.objectContaining({ id, session_id: 'renamed' })),
      );
      expect(ids(await rows({ sessionId: 'default' }))).toEqual(ids(aliceMessages));
    });

    it("merging into a name the other user also has moves only the caller's messages", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const aliceTarget = await ingestSession(ctx(), alice.key, { sessionId: 'target', count: 2 });
      const bobSource = await ingestSession(ctx(), bob.key, { sessionId: 'source', count: 2 });

      const response = await ctx().api.patch(session('source'), {
        key: bob.key,
        query: { new_session_id: 'target' },
      });

      expect(response.status).toBe(200);
      expect(ids(response.body)).toEqual(ids(bobSource));
      expect(ids(await rows({ sessionId: 'target' }))).toEqual(ids([...aliceTarget, ...bobSource]));
      const aliceView = await ctx().api.get(MESSAGES, {
        key: alice.key,
        query: { session_id: 'target' },
      });
      expect(ids(aliceView.body)).toEqual(ids(aliceTarget));
    });

    it("on_conflict=reject does not count the other user's session as a conflict", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'taken-by-alice', count: 1 });
      const bobMessages = await ingestSession(ctx(), bob.key, { sessionId: 'mine', count: 2 });

      const response = await ctx().api.patch(session('mine'), {
        key: bob.key,
        query: { new_session_id: 'taken-by-alice', on_conflict: 'reject' },
      });

      expect(response.status).toBe(200);
      expect(ids(response.body)).toEqual(ids(bobMessages));
    });
  });

  describe("another user's resource is indistinguishable from a missing one", () => {
    it('renaming: the same 404 and body, and nothing moves', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 'secret',
        count: 2,
      });

      const foreign = await ctx().api.patch(session('secret'), {
        key: mallory.key,
        query: { new_session_id: 'stolen' },
      });
      const missing = await ctx().api.patch(session('never-existed'), {
        key: mallory.key,
        query: { new_session_id: 'stolen' },
      });

      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(NO_SESSION);
      expect({ status: foreign.status, text: foreign.text }).toEqual({
        status: missing.status,
        text: missing.text,
      });
      expect(await rows({ sessionId: 'stolen' })).toEqual([]);
      expect(ids(await rows({ sessionId: 'secret' }))).toEqual(ids(aliceMessages));
    });

    it('reading or editing one message: the same 404, and the message is unchanged', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const [message] = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

      const foreignGet = await ctx().api.get(`${MESSAGES}/${message.id}`, { key: mallory.key });
      const missingGet = await ctx().api.get(`${MESSAGES}/${randomUUID()}`, { key: mallory.key });
      expect(foreignGet.status).toBe(404);
      expect(foreignGet.body).toEqual(NO_MESSAGE);
      expect(missingGet.status).toBe(404);
      expect(missingGet.text).toBe(foreignGet.text);

      const foreignPut = await ctx().api.put(`${MESSAGES}/${message.id}`, {
        key: mallory.key,
        body: { text: 'overwritten' },
      });
      const missingPut = await ctx().api.put(`${MESSAGES}/${randomUUID()}`, {
        key: mallory.key,
        body: { text: 'overwritten' },
      });
      expect(foreignPut.status).toBe(404);
      expect(foreignPut.body).toEqual(NO_MESSAGE);
      expect(missingPut.status).toBe(404);
      expect(missingPut.text).toBe(foreignPut.text);
      expect(await rows({ flowId: message.flow_id })).toEqual([
        expect.objectContaining({ id: message.id, text: message.text }),
      ]);
    });

    it('deleting messages by id: 204, and the foreign ones stay', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 2 });
      const malloryMessages = await ingestSession(ctx(), mallory.key, { sessionId: 's', count: 1 });

      const response = await ctx().api.delete(MESSAGES, {
        key: mallory.key,
        body: [...aliceMessages, ...malloryMessages].map((m) => m.id),
      });

      expect(response.status).toBe(204);
      expect(ids(await rows())).toEqual(ids(aliceMessages));
    });

    it('deleting a session: 204, and only the caller’s messages of that name go', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 'default',
        count: 2,
      });

      const withoutOwn = await ctx().api.delete(session('default'), { key: mallory.key });
      expect(withoutOwn.status).toBe(204);
      expect(ids(await rows())).toEqual(ids(aliceMessages));

      await ingestSession(ctx(), mallory.key, { sessionId: 'default', count: 2 });
      const withOwn = await ctx().api.delete(session('default'), { key: mallory.key });
      expect(withOwn.status).toBe(204);
      expect(ids(await rows())).toEqual(ids(aliceMessages));
    });

    it('deleting sessions in bulk counts and removes only the caller’s', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, { sessionId: 'a', count: 2 });
      await ingestSession(ctx(), mallory.key, { sessionId: 'b', count: 1 });

      const response = await ctx().api.delete(`${MESSAGES}/sessions`, {
        key: mallory.key,
        body: ['a', 'b'],
      });

      expect(response.status).toBe(200);
      expect(response.body.deleted_count).toBe(1);
      expect(ids(await rows())).toEqual(ids(aliceMessages));
    });

    it('listing, filtering by flow, listing sessions and exporting show only the caller’s', async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceFlow = randomUUID();
      await ingestSession(ctx(), alice.key, { sessionId: 'alice-s', flowId: aliceFlow, count: 2 });
      const malloryMessages = await ingestSession(ctx(), mallory.key, {
        sessionId: 'mallory-s',
        count: 1,
      });

      const list = await ctx().api.get(MESSAGES, { key: mallory.key });
      expect(list.status).toBe(200);
      expect(ids(list.body)).toEqual(ids(malloryMessages));

      const byFlow = await ctx().api.get(MESSAGES, {
        key: mallory.key,
        query: { flow_id: aliceFlow },
      });
      expect(byFlow.status).toBe(200);
      expect(byFlow.body).toEqual([]);

      const bySession = await ctx().api.get(MESSAGES, {
        key: mallory.key,
        query: { session_id: 'alice-s' },
      });
      expect(bySession.status).toBe(200);
      expect(bySession.body).toEqual([]);

      const sessions = await ctx().api.get(`${MESSAGES}/sessions`, { key: mallory.key });
      expect(sessions.status).toBe(200);
      expect(sessions.body).toEqual(['mallory-s']);

      const exported = await ctx().api.get(`${MESSAGES}/export`, { key: mallory.key });
      expect(exported.status).toBe(200);
      const lines = exported.text.split('\n').filter((line) => line !== '');
      expect(ids(lines.map((line) => JSON.parse(line) as { id: string }))).toEqual(
        ids(malloryMessages),
      );
    });
  });

  describe('a superuser administers users and keys, not their data', () => {
    it('sees none of another user’s messages or sessions', async () => {
      const alice = await createUser(ctx());
      const aliceFlow = randomUUID();
      const [message] = await ingestSession(ctx(), alice.key, {
        sessionId: 'private',
        flowId: aliceFlow,
        count: 2,
      });

      const list = await ctx().api.get(MESSAGES, { key: ADMIN_KEY });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([]);
      const byFlow = await ctx().api.get(MESSAGES, {
        key: ADMIN_KEY,
        query: { flow_id: aliceFlow },
      });
      expect(byFlow.body).toEqual([]);
      const sessions = await ctx().api.get(`${MESSAGES}/sessions`, { key: ADMIN_KEY });
      expect(sessions.body).toEqual([]);
      const one = await ctx().api.get(`${MESSAGES}/${message.id}`, { key: ADMIN_KEY });
      expect(one.status).toBe(404);
      expect(one.body).toEqual(NO_MESSAGE);
    });

    it('cannot rename, edit or delete another user’s messages', async () => {
      const alice = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 'private',
        count: 2,
      });
      const before = await rows();

      const rename = await ctx().api.patch(session('private'), {
        key: ADMIN_KEY,
        query: { new_session_id: 'seized' },
      });
      expect(rename.status).toBe(404);
      expect(rename.body).toEqual(NO_SESSION);

      const edit = await ctx().api.put(`${MESSAGES}/${aliceMessages[0].id}`, {
        key: ADMIN_KEY,
        body: { text: 'seized' },
      });
      expect(edit.status).toBe(404);
      expect(edit.body).toEqual(NO_MESSAGE);

      const deleteIds = await ctx().api.delete(MESSAGES, {
        key: ADMIN_KEY,
        body: aliceMessages.map((m) => m.id),
      });
      expect(deleteIds.status).toBe(204);
      const deleteSession = await ctx().api.delete(session('private'), { key: ADMIN_KEY });
      expect(deleteSession.status).toBe(204);

      expect(await rows()).toEqual(before);
    });
  });

  describe('flows', () => {
    it("ingesting into another user's flow answers 404 and writes nothing", async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceFlow = randomUUID();
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 's',
        flowId: aliceFlow,
        count: 1,
      });
      const newFlow = randomUUID();

      const response = await ctx().api.post(MESSAGES, {
        key: mallory.key,
        body: [
          messageInput({ flow_id: newFlow, session_id: 'mine' }),
          messageInput({ flow_id: aliceFlow, session_id: 's', text: 'injected' }),
        ],
      });

      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Flow not found' });
      expect(ids(await rows())).toEqual(ids(aliceMessages));
      const flows = await ctx()
        .dataSource.getRepository(Flow)
        .find({ order: { id: 'ASC' } });
      expect(flows.map((flow) => [flow.id, flow.userId])).toEqual([[aliceFlow, alice.id]]);
    });

    it("the superuser cannot ingest into another user's flow either", async () => {
      const alice = await createUser(ctx());
      const aliceFlow = randomUUID();
      await ingestSession(ctx(), alice.key, { sessionId: 's', flowId: aliceFlow, count: 1 });

      const response = await ctx().api.post(MESSAGES, {
        key: ADMIN_KEY,
        body: [messageInput({ flow_id: aliceFlow })],
      });

      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Flow not found' });
      expect(await rows({ flowId: aliceFlow })).toHaveLength(1);
    });

    it('a flow first used by a user becomes theirs', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      await ingestSession(ctx(), alice.key, { sessionId: 's', flowId, count: 1 });

      const flow = await ctx().dataSource.getRepository(Flow).findOneBy({ id: flowId });
      expect(flow?.userId).toBe(alice.id);
      const again = await ctx().api.post(MESSAGES, {
        key: alice.key,
        body: [messageInput({ flow_id: flowId, session_id: 't' })],
      });
      expect(again.status).toBe(201);
    });
  });
});
