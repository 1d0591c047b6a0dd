import { randomUUID } from 'node:crypto';

/** A new, empty database on the server at `url`; returns its URL. */
export async function freshPostgresDatabase(url: string): Promise<string> {
  const { default: postgres } = await import('postgres');
  const name = `bench_${randomUUID().slice(0, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
