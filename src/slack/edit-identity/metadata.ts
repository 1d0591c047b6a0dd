import { z } from 'zod';

/**
 * What the edit form carries between requests: which identity, its address (shown, not
 * editable) and the fingerprints of the values it was filled with, so a submission can
 * tell what the person changed. Ids and digests only, never the values or a secret.
 */
const editMetadataSchema = z.object({
  v: z.literal(1),
  id: z.guid(),
  email: z.string().max(320),
  shown: z.record(z.string().max(40), z.string().max(40)),
});
export type EditMetadata = z.output<typeof editMetadataSchema>;

export const encodeEditMetadata = (m: EditMetadata): string => JSON.stringify(m);

/** undefined for metadata this app did not write (a forged or foreign view). */
export function decodeEditMetadata(raw: string | undefined): EditMetadata | undefined {
  try {
    const parsed = editMetadataSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
