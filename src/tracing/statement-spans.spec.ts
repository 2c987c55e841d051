import { operationName } from './statement-spans';

describe('operationName', () => {
  it.each([
    ['SELECT 1', 'SELECT'],
    ['  update "message" SET x = 1', 'UPDATE'],
    ['BEGIN TRANSACTION', 'BEGIN'],
    ['COMMIT', 'COMMIT'],
    ['WITH "moved" AS (UPDATE ...) SELECT 1', 'WITH'],
    ['', 'UNKNOWN'],
    ['-- comment', 'UNKNOWN'],
  ])('%j -> %s', (sql, operation) => {
    expect(operationName(sql)).toBe(operation);
  });
});
