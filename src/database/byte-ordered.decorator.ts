const byteOrdered: { target: unknown; propertyName: string }[] = [];

/**
 * Marks a text column that must sort byte-wise (the ISO-8601 timestamps): PostgreSQL keeps it in
 * the "C" collation, while SQLite compares text that way already and knows no "C" collation, so
 * the entity cannot say `collation` for both. MonitorDataSource applies it on PostgreSQL.
 */
export function ByteOrdered(): PropertyDecorator {
  return (target, propertyKey) => {
    byteOrdered.push({ target: target.constructor, propertyName: String(propertyKey) });
  };
}

export function isByteOrdered(target: unknown, propertyName: string): boolean {
  return byteOrdered.some(
    (entry) => entry.target === target && entry.propertyName === propertyName,
  );
}
