import { createUser } from '../factories/users';
import { ApiResponse } from '../support/api-client';
import { describeEachDatabase } from '../support/test-app';

function expectSecurityHeaders(response: ApiResponse): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-eval');
  expect(response.headers.get('x-powered-by')).toBeNull();
}

describeEachDatabase('security headers', (ctx) => {
  it('every /api/v1 answer, errors included, says Cache-Control: no-store', async () => {
    const alice = await createUser(ctx());
    const answers = [
      await ctx().api.post('/api/v1/api_key/', { key: alice.key, body: { name: 'secret' } }),
      await ctx().api.get('/api/v1/api_key/', { key: alice.key }),
      await ctx().api.get('/api/v1/monitor/messages', { key: alice.key }),
      await ctx().api.get('/api/v1/monitor/messages/export', { key: alice.key }),
      await ctx().api.get('/api/v1/monitor/messages/sessions', { key: alice.key }),
      await ctx().api.get('/api/v1/monitor/messages'),
      await ctx().api.get('/api/v1/monitor/messages', { key: 'wrong' }),
      await ctx().api.get('/api/v1/monitor/messages/not-a-uuid', { key: alice.key }),
      await ctx().api.get('/api/v1/no-such-route'),
      await ctx().api.put('/api/v1/monitor/messages', { key: alice.key }),
      await ctx().api.post('/api/v1/monitor/messages', { key: alice.key, rawBody: '{' }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([
      201, 200, 200, 200, 200, 403, 403, 422, 404, 405, 422,
    ]);
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expectSecurityHeaders(answer);
    }
  });

  it('the docs and health carry the security headers too', async () => {
    for (const path of ['/docs', '/openapi.json', '/health']) {
      const response = await ctx().api.get(path);
      expect(response.status).toBe(200);
      expectSecurityHeaders(response);
    }
  });
});
