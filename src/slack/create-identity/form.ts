import { z } from 'zod';
import { storableText } from '../../db/text.ts';
import type { IdentityValues } from '../../identities/identity-values.ts';
import { Field, type FieldId, type FormDraft, LIMITS, REQUIRED_APPROVALS, THREAD_DEPTH, UNDO_SECONDS } from './views.ts';

/** The subset of Slack's view.state.values we read; unknown keys are ignored. */
const textValue = z.object({ value: z.string().nullish() }).partial();
const selectValue = z.object({
  selected_option: z.object({ value: z.string(), text: z.object({ text: z.string() }).partial().optional() }).nullish(),
});
const conversationValue = z.object({ selected_conversation: z.string().nullish() });
const usersValue = z.object({ selected_users: z.array(z.string()).nullish() });
// Built once: constructing a zod schema costs more than parsing with it.
const stateValues = z.record(z.string(), z.record(z.string(), z.unknown()));
const email = z.email();

function pick<T extends z.ZodType>(values: unknown, field: FieldId, schema: T): z.output<T> | undefined {
  const parsed = stateValues.safeParse(values);
  if (!parsed.success) return undefined;
  const raw = parsed.data[field]?.[field];
  const result = schema.safeParse(raw);
  return result.success ? result.data : undefined;
}

const nonEmpty = (v: string | null | undefined) => {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
};

/** Reads what the person entered, tolerating anything Slack (or a forged request) might send. */
export function readDraft(stateValues: unknown): FormDraft {
  const select = (f: FieldId) => {
    const o = pick(stateValues, f, selectValue)?.selected_option;
    return o ? { value: o.value, label: o.text?.text ?? o.value } : undefined;
  };
  // What Slack (or a forged request) sends may hold U+0000 or lone surrogates; neither can be stored.
  const text = (f: FieldId) => {
    const value = pick(stateValues, f, textValue)?.value;
    return value === undefined || value === null ? undefined : storableText(value);
  };
  return {
    domain: select(Field.domain),
    localPart: text(Field.localPart),
    displayName: text(Field.displayName),
    assistant: select(Field.assistant),
    approvalChannelId: pick(stateValues, Field.approvalChannel, conversationValue)?.selected_conversation ?? undefined,
    approverUserIds: pick(stateValues, Field.approvers, usersValue)?.selected_users ?? undefined,
    requiredApprovals: text(Field.requiredApprovals),
    remindAfter: text(Field.remindAfter),
    escalationUserIds: pick(stateValues, Field.escalateTo, usersValue)?.selected_users ?? undefined,
    undoSeconds: text(Field.undoSeconds),
    replyTo: text(Field.replyTo),
    threadDepth: text(Field.threadDepth),
    signatureText: text(Field.signatureText),
    signatureHtml: text(Field.signatureHtml),
  };
}

export interface CreateIdentityForm extends IdentityValues {
  domainId: string;
  localPart: string;
}

export type FieldErrors = Partial<Record<FieldId, string>>;

const uuid = z.uuid();
const LOCAL_PART = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/i;
const SLACK_USER_ID = /^[UW][A-Z0-9]+$/;

/** A whole number typed into a number input: digits only, as Number() would also take "0x10" or "1e1". */
function wholeNumber(value: string | undefined, fallback: number): number {
  const t = nonEmpty(value);
  if (t === undefined) return fallback;
  return /^\d{1,6}$/.test(t) ? Number(t) : NaN;
}

const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

function people(ids: string[] | undefined, limit: number, errors: FieldErrors, field: FieldId): string[] {
  const unique = [...new Set(ids ?? [])];
  if (unique.length > limit) errors[field] = `Choose at most ${limit} people.`;
  else if (unique.some((u) => !SLACK_USER_ID.test(u))) errors[field] = 'Choose people from this workspace.';
  return unique;
}

/** Everything but the address, which only creation asks for; errors are added to `errors`. */
function validateValues(draft: FormDraft, errors: FieldErrors): IdentityValues | undefined {
  const displayName = nonEmpty(draft.displayName);
  if (!displayName) errors.display_name = 'Enter a display name.';
  else if (displayName.length > LIMITS.displayName) errors.display_name = `At most ${LIMITS.displayName} characters.`;

  const assistantId = draft.assistant?.value ?? null;
  if (assistantId !== null && !uuid.safeParse(assistantId).success) errors.assistant = 'That assistant is not one of the workspace’s assistants.';

  const channelId = draft.approvalChannelId;
  if (!channelId) errors.approval_channel = 'Choose the channel where drafts will be approved.';
  else if (!/^[CG][A-Z0-9]+$/.test(channelId)) errors.approval_channel = 'Choose a channel; direct messages cannot be approval channels.';

  const approvers = people(draft.approverUserIds, LIMITS.approvers, errors, Field.approvers);

  const required = wholeNumber(draft.requiredApprovals, REQUIRED_APPROVALS.default);
  if (!inRange(required, REQUIRED_APPROVALS.min, REQUIRED_APPROVALS.max)) errors.required_approvals = `Enter a whole number from ${REQUIRED_APPROVALS.min} to ${REQUIRED_APPROVALS.max}.`;
  else if (required > 1 && approvers.length === 0) errors.required_approvals = 'More than one approval needs approvers: choose them under Approvers, or enter 1.';
  else if (required > approvers.length && approvers.length > 0)
    errors.required_approvals = `At most the number of approvers (${approvers.length}): choose more approvers, or enter a smaller number.`;

  const remindText = nonEmpty(draft.remindAfter);
  const remind = remindText === undefined ? null : wholeNumber(remindText, NaN);
  if (remind !== null && !(Number.isInteger(remind) && remind >= 1)) errors.remind_after = 'Enter a whole number of minutes, 1 or more, or leave it empty for no reminders.';

  const escalation = people(draft.escalationUserIds, LIMITS.escalationUsers, errors, Field.escalateTo);

  const undo = wholeNumber(draft.undoSeconds, UNDO_SECONDS.default);
  if (!inRange(undo, UNDO_SECONDS.min, UNDO_SECONDS.max)) errors.undo_seconds = `Enter a whole number of seconds from ${UNDO_SECONDS.min} to ${UNDO_SECONDS.max}.`;

  const replyTo = nonEmpty(draft.replyTo) ?? null;
  if (replyTo !== null && (replyTo.length > LIMITS.replyTo || !email.safeParse(replyTo).success))
    errors.reply_to = 'Enter a valid email address, like help@acme.com.';

  const depth = wholeNumber(draft.threadDepth, THREAD_DEPTH.default);
  if (!inRange(depth, THREAD_DEPTH.min, THREAD_DEPTH.max)) errors.thread_depth = `Enter a whole number from ${THREAD_DEPTH.min} to ${THREAD_DEPTH.max}.`;

  const signatureText = nonEmpty(draft.signatureText) ?? null;
  if (signatureText !== null && signatureText.length > LIMITS.signature) errors.signature_text = `At most ${LIMITS.signature} characters.`;
  const signatureHtml = nonEmpty(draft.signatureHtml) ?? null;
  if (signatureHtml !== null && signatureHtml.length > LIMITS.signature) errors.signature_html = `At most ${LIMITS.signature} characters.`;

  if (Object.keys(errors).length > 0 || !displayName || !channelId) return undefined;
  return {
    displayName,
    assistantId,
    approvalChannelId: channelId,
    approverUserIds: approvers,
    replyTo,
    threadDepth: depth,
    signatureText,
    signatureHtml,
    settings: { requiredApprovals: required, remindAfterMinutes: remind, escalationUserIds: escalation, undoSeconds: undo },
  };
}

/** Checks a draft the way the platform will, so most mistakes are caught before any API call. */
export function validateDraft(draft: FormDraft): { ok: true; form: CreateIdentityForm } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};

  const domainId = draft.domain?.value;
  if (!domainId) errors.domain = 'Choose a domain.';
  else if (!uuid.safeParse(domainId).success) errors.domain = 'That domain is not one of the workspace’s domains. Choose it again.';

  const localPart = nonEmpty(draft.localPart)?.toLowerCase();
  if (!localPart) errors.local_part = 'Enter the part of the address before the @.';
  else if (localPart.length > LIMITS.localPart) errors.local_part = `At most ${LIMITS.localPart} characters.`;
  else if (localPart.includes('@')) errors.local_part = 'Enter only the part before the @; choose the domain above.';
  else if (!LOCAL_PART.test(localPart) || localPart.includes('..'))
    errors.local_part = 'Use letters, digits and . _ + - only, starting and ending with a letter or digit.';

  const values = validateValues(draft, errors);
  if (!values || !domainId || !localPart) return { ok: false, errors };
  return { ok: true, form: { domainId, localPart, ...values } };
}

/** The edit form's check: the same as creation's, without the address. */
export function validateEditDraft(draft: FormDraft): { ok: true; values: IdentityValues } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const values = validateValues(draft, errors);
  return values ? { ok: true, values } : { ok: false, errors };
}
