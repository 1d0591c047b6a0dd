import { z } from 'zod';

/** What the modal carries between requests; only ids, never secrets. */
const metadataSchema = z.object({
  v: z.literal(1),
  /** Channel where /identity was typed, to preselect it again on re-render. */
  origin: z.string().max(32).nullable(),
});
export type ModalMetadata = z.output<typeof metadataSchema>;

export const encodeMetadata = (m: ModalMetadata): string => JSON.stringify(m);

export function decodeMetadata(raw: string | undefined): ModalMetadata {
  try {
    const parsed = metadataSchema.safeParse(JSON.parse(raw ?? ''));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: a forged or foreign view; fall through to the neutral default
  }
  return { v: 1, origin: null };
}
