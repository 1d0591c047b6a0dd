import type postgres from 'postgres';

/**
 * A postgres.js client on which every statement drizzle sends is prepared, transactions
 * and savepoints included, so each connection parses and plans a statement once. Our SQL
 * texts are a fixed set (values are always parameters), so the per-connection statement
 * cache stays small.
 *
 * Why it is needed: drizzle sends every statement not built with `.prepare()` through
 * postgres.js's `unsafe`, which leaves it unprepared unless told otherwise, so PostgreSQL
 * parses and plans it anew each time; for the webhook intake the parse and bind cost more
 * than the execution (measured with log_min_duration_statement). Neither library has a
 * setting for it: postgres.js's `prepare` option can only turn preparing off, and drizzle
 * asks for it only for `.prepare()`d queries.
 *
 * It relies on how drizzle's postgres-js session calls the driver (`unsafe`, and `begin` /
 * `savepoint` for transactions); test/integration/prepared-statements.test.ts fails when
 * that changes.
 */
export function preparingClient<C extends postgres.Sql | postgres.TransactionSql>(client: C): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => Reflect.apply(value, target, [query, params, { ...options, prepare: true }]);
      }
      if (prop === 'begin' || prop === 'savepoint') {
        // The callback (the one function among the arguments) receives the transaction's own client.
        return (...args: unknown[]) =>
          Reflect.apply(value, target, args.map((arg) => (typeof arg === 'function' ? (tx: postgres.TransactionSql) => arg(preparingClient(tx)) : arg)));
      }
      return value;
    },
  });
}
