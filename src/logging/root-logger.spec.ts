import { generateApiKey } from '../auth/api-key-format';
import { AppConfig } from '../config/app.config';
import { createRootLogger } from './root-logger';

function capture(format: 'json' | 'pretty'): {
  lines: string[];
  logger: ReturnType<typeof createRootLogger>;
} {
  const lines: string[] = [];
  const config = { logLevel: 'trace', logFormat: format } as AppConfig;
  const logger = createRootLogger(config, { write: (line: string) => void lines.push(line) });
  return { lines, logger };
}

describe('createRootLogger', () => {
  it.each(['json', 'pretty'] as const)(
    'scrubs keys from every part of every %s line, whoever writes it',
    (format) => {
      const key = generateApiKey();
      const { lines, logger } = capture(format);
      const child = logger.child({ reqId: 'r-1' });
      child.info({ url: `/a/${key}?b=1`, nested: { list: [`x ${key}`] } }, `GET /a/${key} 404`);
      child.error({ err: new Error(`Unexpected token in "${key}"`) }, 'could not answer');
      logger.warn(
        { context: 'SQL' },
        `value ${encodeURIComponent(key).replace('-', '%2D')} failed`,
      );

      expect(lines).toHaveLength(3);
      const written = lines.join('');
      expect(written).not.toContain(key.slice(3));
      expect(written).not.toContain(key.slice(4, 20));
      const [request, failure, sql] = lines.map((line) => JSON.parse(line));
      expect(request).toMatchObject({
        reqId: 'r-1',
        url: '/a/[REDACTED]?b=1',
        nested: { list: ['x [REDACTED]'] },
        msg: 'GET /a/[REDACTED] 404',
      });
      expect(failure.err.message).toBe('Unexpected token in "[REDACTED]"');
      expect(failure.err.stack).toContain('[REDACTED]');
      expect(sql.msg).toBe('value [REDACTED] failed');
    },
  );
});
