/**
 * Looking into a memory database from a test, beside the store: a second
 * connection (read-only, so the test cannot change what it checks) and rows
 * as plain column objects. libsql adds a `_metadata` property (timings) to
 * every row, which a test comparing rows with toEqual must leave out.
 */
import Database from "libsql";

/** A read-only connection to the database file at `path` (a `file:` URI with `mode=ro`; libsql ignores `{ readonly: true }`). */
export function openReadOnly(path: string): Database.Database {
  return new Database(`file:${encodeURI(path)}?mode=ro`);
}

/** Each row without libsql's `_metadata`: only the columns the query selected. */
export function columns<T extends object>(rows: unknown[]): T[] {
  return rows.map((row) => {
    const { _metadata, ...rest } = row as T & { _metadata?: unknown };
    void _metadata;
    return rest as T;
  });
}
