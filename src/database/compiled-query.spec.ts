import { DataSource } from 'typeorm';
import { compileQuery } from './compiled-query';

describe('compileQuery', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
    }).initialize();
    await dataSource.query('CREATE TABLE "item" ("id" integer PRIMARY KEY, "a" text, "b" text)');
    await dataSource.query(`INSERT INTO "item" VALUES (1, 'x', 'y'), (2, 'x', 'z'), (3, 'w', 'y')`);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('puts named values where the builder put their parameters, whatever the order of names', async () => {
    const query = compileQuery(['b', 'a'] as const, (p) =>
      dataSource
        .createQueryBuilder()
        .select('item.id', 'id')
        .from('item', 'item')
        .where('item.a = :a', { a: p.a })
        .andWhere('item.b = :b', { b: p.b })
        .getQueryAndParameters(),
    );
    const rows = await dataSource.query<{ id: number }[]>(
      query.sql,
      query.parameters({ a: 'x', b: 'z' }),
    );
    expect(rows).toEqual([{ id: 2 }]);
    expect(query.parameters({ a: 1, b: 2 })).toEqual([1, 2]);
  });

  it('refuses a statement with a parameter it was not told about', () => {
    expect(() =>
      compileQuery(['a'] as const, () => ['SELECT ?, ?', ['\u0001other\u0001', 1]]),
    ).toThrow(/not one of the named values/);
  });

  it('refuses a statement whose SQL text holds a value', () => {
    expect(() => compileQuery(['a'] as const, (p) => [`SELECT '${p.a}'`, []])).toThrow(
      /written into the SQL text/,
    );
  });
});
