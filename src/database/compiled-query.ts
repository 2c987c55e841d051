/** A statement built once: its SQL text, and how to order named values into its parameters. */
export interface CompiledQuery<K extends string> {
  sql: string;
  parameters(values: Record<K, unknown>): unknown[];
}

/**
 * Builds a statement once with TypeORM's query builder and keeps its SQL text, so that a hot path
 * does not pay for the builder (alias and metadata resolution) on every request. `build` gets a
 * distinct placeholder value per name; their positions in the built parameter list say where each
 * named value goes later. The SQL must not depend on the values (no IN lists of varying length).
 */
export function compileQuery<K extends string>(
  names: readonly K[],
  build: (placeholders: Record<K, string>) => [sql: string, parameters: unknown[]],
): CompiledQuery<K> {
  const placeholders = Object.fromEntries(
    names.map((name, index) => [name, `\u0001compiled-parameter-${index}\u0001`]),
  ) as Record<K, string>;
  const [sql, built] = build(placeholders);
  const order = built.map((value) => {
    const name = names.find((candidate) => placeholders[candidate] === value);
    if (name === undefined) {
      throw new Error(`compileQuery: a parameter of "${sql}" is not one of the named values`);
    }
    return name;
  });
  for (const name of names) {
    if (sql.includes(placeholders[name])) {
      throw new Error(`compileQuery: the value of "${name}" was written into the SQL text`);
    }
  }
  return { sql, parameters: (values) => order.map((name) => values[name]) };
}
