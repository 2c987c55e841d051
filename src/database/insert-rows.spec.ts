import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { insertRows } from './insert-rows';

@Entity({ name: 'note' })
class Note {
  @PrimaryColumn({ type: 'varchar' })
  id!: string;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'boolean', default: false })
  pinned!: boolean;

  @Column({ type: 'varchar', nullable: true })
  tag!: string | null;

  @Column({ type: 'varchar', default: 'plain' })
  kind!: string;
}

function note(id: string, values: Partial<Note> = {}): Note {
  return Object.assign(
    new Note(),
    { id, text: `text ${id}`, pinned: false, tag: null, kind: 'x' },
    values,
  );
}

describe('insertRows (SQLite in memory)', () => {
  let dataSource: DataSource;
  let statements: string[];

  beforeEach(async () => {
    statements = [];
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [Note],
      synchronize: true,
      logging: 'all',
      logger: {
        logQuery: (query: string) => statements.push(query),
        logQueryError: () => undefined,
        logQuerySlow: () => undefined,
        logSchemaBuild: () => undefined,
        logMigration: () => undefined,
        log: () => undefined,
      },
    }).initialize();
    statements = [];
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  const stored = () =>
    dataSource.query<Record<string, unknown>[]>(
      'SELECT "id", "text", "pinned", "tag", "kind" FROM "note" ORDER BY "id"',
    );

  it('stores every value as TypeORM would, in chunks, the same statement for the same shape', async () => {
    await insertRows(
      dataSource.manager,
      Note,
      [note('a', { pinned: true, tag: 't' }), note('b')],
      2,
    );
    await insertRows(dataSource.manager, Note, [note('c'), note('d', { pinned: true })], 2);
    await insertRows(dataSource.manager, Note, [note('e'), note('f'), note('g')], 2);

    expect(await stored()).toEqual([
      { id: 'a', text: 'text a', pinned: 1, tag: 't', kind: 'x' },
      { id: 'b', text: 'text b', pinned: 0, tag: null, kind: 'x' },
      { id: 'c', text: 'text c', pinned: 0, tag: null, kind: 'x' },
      { id: 'd', text: 'text d', pinned: 1, tag: null, kind: 'x' },
      { id: 'e', text: 'text e', pinned: 0, tag: null, kind: 'x' },
      { id: 'f', text: 'text f', pinned: 0, tag: null, kind: 'x' },
      { id: 'g', text: 'text g', pinned: 0, tag: null, kind: 'x' },
    ]);
    const inserts = statements.filter((sql) => sql.startsWith('INSERT'));
    // Two rows, two rows, two rows and one: the values are parameters, not written in the text.
    expect(inserts).toHaveLength(4);
    expect(new Set(inserts.slice(0, 3)).size).toBe(1);
    expect(inserts[3]).not.toBe(inserts[0]);
    expect(inserts.join(' ')).not.toMatch(/text [a-g]|, [01],/);
  });

  it('gives a missing value its default, as the query builder does', async () => {
    await insertRows(dataSource.manager, Note, [note('a')], 1);
    const missing = Object.assign(new Note(), { id: 'b', text: 'no kind', tag: null });
    await insertRows(dataSource.manager, Note, [missing], 1);

    expect(await stored()).toEqual([
      { id: 'a', text: 'text a', pinned: 0, tag: null, kind: 'x' },
      { id: 'b', text: 'no kind', pinned: 0, tag: null, kind: 'plain' },
    ]);
  });

  it('with orIgnore, skips the rows whose key exists and keeps the stored ones', async () => {
    await insertRows(dataSource.manager, Note, [note('a', { text: 'first' })], 1);
    await insertRows(dataSource.manager, Note, [note('a', { text: 'second' }), note('b')], 2, {
      orIgnore: true,
    });
    await insertRows(dataSource.manager, Note, [note('b', { text: 'again' }), note('c')], 2, {
      orIgnore: true,
    });

    expect((await stored()).map((row) => [row.id, row.text])).toEqual([
      ['a', 'first'],
      ['b', 'text b'],
      ['c', 'text c'],
    ]);
  });

  it('without orIgnore, refuses a key that exists and stores nothing of that statement', async () => {
    await insertRows(dataSource.manager, Note, [note('a')], 1);
    await expect(insertRows(dataSource.manager, Note, [note('b'), note('a')], 2)).rejects.toThrow(
      /UNIQUE constraint failed/,
    );
    expect((await stored()).map((row) => row.id)).toEqual(['a']);
  });
});
