// Offline Block Kit validator built from the limits Slack documents (see
// shared/slack-platform.md). Slack's own `blocks.validate` is online-only, so
// tests and the fake Slack use this instead. Every problem names the JSON path
// and the limit it breaks, e.g. `blocks[3].text.text: 3012 chars > 3000`.
//
// Lengths are counted in UTF-16 code units (String#length): at most as lenient
// as Slack, which counts characters.

type Obj = Record<string, unknown>;

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  messageText: 40_000,
  viewTitle: 24,
  privateMetadata: 3000,
  id: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  header: 150,
  contextElements: 10,
  actionsElements: 25,
  inputLabel: 2000,
  inputHint: 2000,
  textInputLength: 3000,
  placeholder: 150,
  buttonText: 75,
  buttonValue: 2000,
  accessibilityLabel: 75,
  url: 3000,
  selectOptions: 100,
  optionText: 75,
  optionValue: 75,
  optionDescription: 75,
  optionGroupLabel: 75,
  checkboxOptions: 10,
  radioOptions: 10,
  overflowOptions: 5,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
} as const;

export const BLOCK_TYPES = ['section', 'header', 'divider', 'context', 'actions', 'input', 'rich_text'] as const;

const SELECT_TYPES = [
  'static_select',
  'external_select',
  'multi_static_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
] as const;

const TEXT_INPUT_TYPES = ['plain_text_input', 'email_text_input', 'number_input', 'url_text_input'] as const;

/** Element types that may sit in an input block's `element`. */
export const INPUT_ELEMENT_TYPES: readonly string[] = [...TEXT_INPUT_TYPES, ...SELECT_TYPES, 'checkboxes', 'radio_buttons', 'datepicker'];
const ACTIONS_ELEMENT_TYPES: readonly string[] = ['button', 'overflow', 'datepicker', 'checkboxes', 'radio_buttons', ...SELECT_TYPES];
const ACCESSORY_TYPES: readonly string[] = [...ACTIONS_ELEMENT_TYPES, 'image'];
export const ELEMENT_TYPES: readonly string[] = [...new Set([...INPUT_ELEMENT_TYPES, ...ACCESSORY_TYPES])];

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects problems while walking one surface; block_ids are unique per surface. */
class Checker {
  readonly problems: string[] = [];
  readonly blockIds = new Set<string>();

  add(path: string, msg: string): void {
    this.problems.push(`${path}: ${msg}`);
  }

  /** Optional string with a max length; `min` makes an empty string a problem. */
  str(v: unknown, path: string, max: number, opts: { required?: boolean; min?: number } = {}): v is string {
    if (v === undefined || v === null) {
      if (opts.required) this.add(path, 'required');
      return false;
    }
    if (typeof v !== 'string') {
      this.add(path, `must be a string (got ${typeof v})`);
      return false;
    }
    if (v.length > max) this.add(path, `${v.length} chars > ${max}`);
    if (opts.min !== undefined && v.length < opts.min) this.add(path, `${v.length} chars < ${opts.min}`);
    return true;
  }

  bool(v: unknown, path: string, required = false): void {
    if (v === undefined) {
      if (required) this.add(path, 'required (boolean)');
    } else if (typeof v !== 'boolean') this.add(path, `must be a boolean (got ${JSON.stringify(v)})`);
  }

  /** A composition text object; `plainOnly` where Slack requires plain_text. */
  text(v: unknown, path: string, max: number, opts: { plainOnly?: boolean; required?: boolean; min?: number } = {}): void {
    if (v === undefined || v === null) {
      if (opts.required) this.add(path, 'required');
      return;
    }
    if (!isObj(v)) {
      this.add(path, "must be a text object {type:'plain_text'|'mrkdwn', text}");
      return;
    }
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn') {
      this.add(`${path}.type`, `must be plain_text or mrkdwn (got ${JSON.stringify(v.type)})`);
    } else if (opts.plainOnly && v.type !== 'plain_text') {
      this.add(`${path}.type`, `must be plain_text here (got ${v.type})`);
    }
    if (typeof v.text !== 'string') this.add(`${path}.text`, 'required string');
    else if (v.text.length === 0) this.add(`${path}.text`, 'must not be empty');
    else {
      if (v.text.length > max) this.add(`${path}.text`, `${v.text.length} chars > ${max}`);
      if (opts.min !== undefined && v.text.length < opts.min) this.add(`${path}.text`, `${v.text.length} chars < ${opts.min}`);
    }
    if (v.emoji !== undefined && v.type !== 'plain_text') this.add(`${path}.emoji`, 'only allowed on plain_text');
    if (v.verbatim !== undefined && v.type !== 'mrkdwn') this.add(`${path}.verbatim`, 'only allowed on mrkdwn');
  }

  /** An array with a size range; returns the items (or [] when absent/invalid). */
  list(v: unknown, path: string, max: number, opts: { required?: boolean; min?: number } = {}): unknown[] {
    if (v === undefined) {
      if (opts.required) this.add(path, 'required');
      return [];
    }
    if (!Array.isArray(v)) {
      this.add(path, 'must be an array');
      return [];
    }
    if (v.length > max) this.add(path, `${v.length} items > ${max}`);
    const min = opts.min ?? 0;
    if (v.length < min) this.add(path, `${v.length} items < ${min}`);
    return v;
  }

  url(v: unknown, path: string): void {
    this.str(v, path, LIMITS.url);
  }
}

// ---------- composition objects ----------

function checkConfirm(c: Checker, v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObj(v)) return c.add(path, 'must be a confirmation dialog object');
  c.text(v.title, `${path}.title`, LIMITS.confirmTitle, { plainOnly: true, required: true });
  c.text(v.text, `${path}.text`, LIMITS.confirmText, { required: true });
  c.text(v.confirm, `${path}.confirm`, LIMITS.confirmButton, { plainOnly: true, required: true });
  c.text(v.deny, `${path}.deny`, LIMITS.confirmButton, { plainOnly: true, required: true });
  if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') c.add(`${path}.style`, `must be primary or danger (got ${JSON.stringify(v.style)})`);
}

/** Option objects; selects and overflow need plain_text, checkboxes/radios allow mrkdwn. */
function checkOption(c: Checker, v: unknown, path: string, opts: { plainOnly: boolean; allowUrl?: boolean }): string | undefined {
  if (!isObj(v)) {
    c.add(path, 'must be an option object {text, value}');
    return undefined;
  }
  c.text(v.text, `${path}.text`, LIMITS.optionText, { plainOnly: opts.plainOnly, required: true });
  c.str(v.value, `${path}.value`, LIMITS.optionValue, { required: true });
  c.text(v.description, `${path}.description`, LIMITS.optionDescription, { plainOnly: opts.plainOnly });
  if (v.url !== undefined) {
    if (opts.allowUrl) c.url(v.url, `${path}.url`);
    else c.add(`${path}.url`, 'only allowed in overflow menus');
  }
  return typeof v.value === 'string' ? v.value : undefined;
}

function checkOptions(c: Checker, v: unknown, path: string, max: number, opts: { plainOnly: boolean; allowUrl?: boolean; required?: boolean; min?: number }): string[] {
  const values: string[] = [];
  c.list(v, path, max, opts).forEach((o, i) => {
    const value = checkOption(c, o, `${path}[${i}]`, opts);
    if (value !== undefined) values.push(value);
  });
  return values;
}

/** initial_option(s) must be one of the element's options. */
function checkInitialOptions(c: Checker, el: Obj, path: string, known: string[] | undefined, plainOnly: boolean, multi: boolean): void {
  const key = multi ? 'initial_options' : 'initial_option';
  const raw = el[key];
  if (raw === undefined) return;
  const items = multi ? c.list(raw, `${path}.${key}`, Number.POSITIVE_INFINITY) : [raw];
  items.forEach((o, i) => {
    const p = multi ? `${path}.${key}[${i}]` : `${path}.${key}`;
    const value = checkOption(c, o, p, { plainOnly });
    if (known && value !== undefined && !known.includes(value)) c.add(p, `value ${JSON.stringify(value)} matches none of the options`);
  });
}

// ---------- elements ----------

function checkPlaceholder(c: Checker, el: Obj, path: string): void {
  c.text(el.placeholder, `${path}.placeholder`, LIMITS.placeholder, { plainOnly: true });
}

function checkActionId(c: Checker, el: Obj, path: string, seen: Set<string>): void {
  if (c.str(el.action_id, `${path}.action_id`, LIMITS.id, { min: 1 })) {
    // Slack: action_id must be unique among the action_ids of its containing block.
    if (seen.has(el.action_id)) c.add(`${path}.action_id`, `duplicate action_id ${JSON.stringify(el.action_id)} in this block`);
    seen.add(el.action_id);
  }
}

const isNumeric = (s: string, decimal: boolean): boolean => (decimal ? /^-?\d+(\.\d+)?$/ : /^-?\d+$/).test(s);

function checkNumberInput(c: Checker, el: Obj, path: string): void {
  c.bool(el.is_decimal_allowed, `${path}.is_decimal_allowed`, true);
  const decimal = el.is_decimal_allowed === true;
  const nums: Record<string, number> = {};
  for (const key of ['initial_value', 'min_value', 'max_value'] as const) {
    const v = el[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      c.add(`${path}.${key}`, `must be a string (got ${typeof v})`);
      continue;
    }
    if (!isNumeric(v, decimal)) c.add(`${path}.${key}`, `${JSON.stringify(v)} is not ${decimal ? 'a number' : 'an integer (is_decimal_allowed is false)'}`);
    else nums[key] = Number(v);
  }
  const { initial_value: init, min_value: min, max_value: max } = nums;
  if (min !== undefined && max !== undefined && min > max) c.add(`${path}.min_value`, `${min} > max_value ${max}`);
  if (init !== undefined && min !== undefined && init < min) c.add(`${path}.initial_value`, `${init} < min_value ${min}`);
  if (init !== undefined && max !== undefined && init > max) c.add(`${path}.initial_value`, `${init} > max_value ${max}`);
}

function checkPlainTextInput(c: Checker, el: Obj, path: string): void {
  const intIn = (key: 'min_length' | 'max_length', lo: number): number | undefined => {
    const v = el[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      c.add(`${path}.${key}`, `must be an integer (got ${JSON.stringify(v)})`);
      return undefined;
    }
    if (v < lo || v > LIMITS.textInputLength) c.add(`${path}.${key}`, `${v} outside ${lo}–${LIMITS.textInputLength}`);
    return v;
  };
  const min = intIn('min_length', 0);
  const max = intIn('max_length', 1);
  if (min !== undefined && max !== undefined && min > max) c.add(`${path}.min_length`, `${min} > max_length ${max}`);
  c.str(el.initial_value, `${path}.initial_value`, max ?? LIMITS.textInputLength);
  c.bool(el.multiline, `${path}.multiline`);
}

function checkElement(c: Checker, v: unknown, path: string, allowed: readonly string[], seenActionIds: Set<string>): void {
  if (!isObj(v)) return c.add(path, 'must be an element object');
  const type = v.type;
  if (typeof type !== 'string' || !ELEMENT_TYPES.includes(type)) {
    return c.add(`${path}.type`, `unknown element type ${JSON.stringify(type)}`);
  }
  if (!allowed.includes(type)) return c.add(`${path}.type`, `${type} is not allowed here (allowed: ${allowed.join(', ')})`);
  if (type === 'image') {
    if (v.image_url === undefined && v.slack_file === undefined) c.add(`${path}.image_url`, 'required (or slack_file)');
    c.url(v.image_url, `${path}.image_url`);
    c.str(v.alt_text, `${path}.alt_text`, LIMITS.imageAltText, { required: true, min: 1 });
    return;
  }
  checkActionId(c, v, path, seenActionIds);
  checkConfirm(c, v.confirm, `${path}.confirm`);
  const multi = type.startsWith('multi_');
  if (multi && v.max_selected_items !== undefined) {
    if (typeof v.max_selected_items !== 'number' || !Number.isInteger(v.max_selected_items) || v.max_selected_items < 1) {
      c.add(`${path}.max_selected_items`, `must be an integer ≥ 1 (got ${JSON.stringify(v.max_selected_items)})`);
    }
  }
  switch (type) {
    case 'button':
      c.text(v.text, `${path}.text`, LIMITS.buttonText, { plainOnly: true, required: true });
      c.str(v.value, `${path}.value`, LIMITS.buttonValue);
      c.url(v.url, `${path}.url`);
      c.str(v.accessibility_label, `${path}.accessibility_label`, LIMITS.accessibilityLabel);
      if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') c.add(`${path}.style`, `must be primary or danger (got ${JSON.stringify(v.style)})`);
      return;
    case 'static_select':
    case 'multi_static_select': {
      checkPlaceholder(c, v, path);
      const hasOptions = v.options !== undefined;
      const hasGroups = v.option_groups !== undefined;
      if (hasOptions === hasGroups) c.add(path, 'exactly one of options or option_groups is required');
      let known = checkOptions(c, v.options, `${path}.options`, LIMITS.selectOptions, { plainOnly: true });
      c.list(v.option_groups, `${path}.option_groups`, LIMITS.selectOptions).forEach((g, i) => {
        const gp = `${path}.option_groups[${i}]`;
        if (!isObj(g)) return c.add(gp, 'must be an option group {label, options}');
        c.text(g.label, `${gp}.label`, LIMITS.optionGroupLabel, { plainOnly: true, required: true });
        known = known.concat(checkOptions(c, g.options, `${gp}.options`, LIMITS.selectOptions, { plainOnly: true, required: true, min: 1 }));
      });
      checkInitialOptions(c, v, path, known, true, multi);
      return;
    }
    case 'external_select':
    case 'multi_external_select':
      checkPlaceholder(c, v, path);
      if (v.min_query_length !== undefined && (typeof v.min_query_length !== 'number' || !Number.isInteger(v.min_query_length) || v.min_query_length < 0)) {
        c.add(`${path}.min_query_length`, `must be an integer ≥ 0 (got ${JSON.stringify(v.min_query_length)})`);
      }
      checkInitialOptions(c, v, path, undefined, true, multi);
      return;
    case 'users_select':
    case 'multi_users_select':
    case 'channels_select':
    case 'multi_channels_select':
    case 'conversations_select':
    case 'multi_conversations_select': {
      checkPlaceholder(c, v, path);
      const noun = type.replace('multi_', '').replace('_select', '').replace(/s$/, '');
      const key = multi ? `initial_${noun}s` : `initial_${noun}`;
      const init = v[key];
      if (init !== undefined) {
        if (multi ? !Array.isArray(init) || init.some((x) => typeof x !== 'string') : typeof init !== 'string') {
          c.add(`${path}.${key}`, multi ? 'must be an array of ids' : 'must be an id string');
        }
      }
      if (noun === 'conversation') {
        c.bool(v.default_to_current_conversation, `${path}.default_to_current_conversation`);
        c.bool(v.response_url_enabled, `${path}.response_url_enabled`);
        if (v.filter !== undefined) {
          if (!isObj(v.filter)) c.add(`${path}.filter`, 'must be an object');
          else {
            const include = c.list(v.filter.include, `${path}.filter.include`, 4, { min: 1 });
            include.forEach((x, i) => {
              if (x !== 'im' && x !== 'mpim' && x !== 'private' && x !== 'public') c.add(`${path}.filter.include[${i}]`, `must be im, mpim, private or public (got ${JSON.stringify(x)})`);
            });
            c.bool(v.filter.exclude_external_shared_channels, `${path}.filter.exclude_external_shared_channels`);
            c.bool(v.filter.exclude_bot_users, `${path}.filter.exclude_bot_users`);
          }
        }
      }
      return;
    }
    case 'plain_text_input':
      checkPlaceholder(c, v, path);
      checkPlainTextInput(c, v, path);
      return;
    case 'email_text_input':
    case 'url_text_input':
      checkPlaceholder(c, v, path);
      c.str(v.initial_value, `${path}.initial_value`, Number.POSITIVE_INFINITY);
      return;
    case 'number_input':
      checkPlaceholder(c, v, path);
      checkNumberInput(c, v, path);
      return;
    case 'checkboxes':
    case 'radio_buttons': {
      const max = type === 'checkboxes' ? LIMITS.checkboxOptions : LIMITS.radioOptions;
      const known = checkOptions(c, v.options, `${path}.options`, max, { plainOnly: false, required: true, min: 1 });
      checkInitialOptions(c, v, path, known, false, type === 'checkboxes');
      return;
    }
    case 'datepicker':
      checkPlaceholder(c, v, path);
      if (v.initial_date !== undefined && (typeof v.initial_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v.initial_date))) {
        c.add(`${path}.initial_date`, `must be YYYY-MM-DD (got ${JSON.stringify(v.initial_date)})`);
      }
      return;
    case 'overflow':
      checkOptions(c, v.options, `${path}.options`, LIMITS.overflowOptions, { plainOnly: true, allowUrl: true, required: true, min: 1 });
      return;
  }
}

// ---------- blocks ----------

function checkBlock(c: Checker, b: unknown, path: string): void {
  if (!isObj(b)) return c.add(path, 'must be a block object');
  if (b.block_id !== undefined && c.str(b.block_id, `${path}.block_id`, LIMITS.id, { min: 1 })) {
    if (c.blockIds.has(b.block_id)) c.add(`${path}.block_id`, `duplicate block_id ${JSON.stringify(b.block_id)}`);
    c.blockIds.add(b.block_id);
  }
  const actionIds = new Set<string>();
  switch (b.type) {
    case 'section': {
      c.text(b.text, `${path}.text`, LIMITS.sectionText, { min: 1 });
      const fields = c.list(b.fields, `${path}.fields`, LIMITS.sectionFields);
      fields.forEach((f, i) => c.text(f, `${path}.fields[${i}]`, LIMITS.sectionField, { required: true }));
      if (b.text === undefined && fields.length === 0) c.add(path, 'section needs text or fields');
      if (b.accessory !== undefined) checkElement(c, b.accessory, `${path}.accessory`, ACCESSORY_TYPES, actionIds);
      c.bool(b.expand, `${path}.expand`);
      return;
    }
    case 'header':
      c.text(b.text, `${path}.text`, LIMITS.header, { plainOnly: true, required: true });
      return;
    case 'divider':
      return;
    case 'context':
      c.list(b.elements, `${path}.elements`, LIMITS.contextElements, { required: true, min: 1 }).forEach((e, i) => {
        const ep = `${path}.elements[${i}]`;
        if (isObj(e) && (e.type === 'plain_text' || e.type === 'mrkdwn')) c.text(e, ep, Number.POSITIVE_INFINITY);
        else checkElement(c, e, ep, ['image'], actionIds);
      });
      return;
    case 'actions':
      c.list(b.elements, `${path}.elements`, LIMITS.actionsElements, { required: true, min: 1 }).forEach((e, i) => {
        checkElement(c, e, `${path}.elements[${i}]`, ACTIONS_ELEMENT_TYPES, actionIds);
      });
      return;
    case 'input':
      c.text(b.label, `${path}.label`, LIMITS.inputLabel, { plainOnly: true, required: true });
      c.text(b.hint, `${path}.hint`, LIMITS.inputHint, { plainOnly: true });
      c.bool(b.optional, `${path}.optional`);
      c.bool(b.dispatch_action, `${path}.dispatch_action`);
      if (b.elements !== undefined) c.add(`${path}.elements`, 'input takes exactly one `element`, not `elements`');
      if (b.element === undefined) c.add(`${path}.element`, 'required (exactly one input element)');
      else checkElement(c, b.element, `${path}.element`, INPUT_ELEMENT_TYPES, actionIds);
      return;
    case 'rich_text':
      // Checked loosely: only its shape, not the rich text element tree.
      c.list(b.elements, `${path}.elements`, Number.POSITIVE_INFINITY, { required: true });
      return;
    default:
      c.add(`${path}.type`, `unknown block type ${JSON.stringify(b.type)} (supported: ${BLOCK_TYPES.join(', ')})`);
  }
}

function checkBlocks(c: Checker, blocks: unknown, max: number, required: boolean): unknown[] {
  const list = c.list(blocks, 'blocks', max, { required });
  list.forEach((b, i) => checkBlock(c, b, `blocks[${i}]`));
  return list;
}

// ---------- surfaces ----------

export interface MessageInput {
  text?: unknown;
  blocks?: unknown;
}

export interface MessageValidationOptions {
  /** Blocks without `text` leave notifications empty; Slack says always send both (default true). */
  requireTextFallback?: boolean;
}

/** Problems with a chat.postMessage / chat.update / response_url message; [] = valid. */
export function validateMessage(message: MessageInput, opts: MessageValidationOptions = {}): string[] {
  const c = new Checker();
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  const hasText = typeof message.text === 'string' && message.text.length > 0;
  if (message.text !== undefined && message.text !== null) c.str(message.text, 'text', LIMITS.messageText);
  if (!hasText && !hasBlocks) c.add('text', 'required: a message needs text or blocks');
  else if (!hasText && (opts.requireTextFallback ?? true)) c.add('text', 'missing text fallback: send `text` with `blocks` (used for notifications)');
  if (message.blocks !== undefined && message.blocks !== null) checkBlocks(c, message.blocks, LIMITS.messageBlocks, false);
  return c.problems;
}

/** Problems with a view (modal or home tab) as passed to views.open/update/push; [] = valid. */
export function validateView(view: unknown): string[] {
  if (!isObj(view)) return ['view: must be an object'];
  const c = new Checker();
  if (view.type !== 'modal' && view.type !== 'home') c.add('type', `must be modal or home (got ${JSON.stringify(view.type)})`);
  const blocks = checkBlocks(c, view.blocks, LIMITS.viewBlocks, true);
  if (view.type !== 'home') {
    c.text(view.title, 'title', LIMITS.viewTitle, { plainOnly: true, required: true });
    c.text(view.close, 'close', LIMITS.viewTitle, { plainOnly: true });
    const hasInput = blocks.some((b) => isObj(b) && b.type === 'input');
    c.text(view.submit, 'submit', LIMITS.viewTitle, { plainOnly: true, required: hasInput });
  }
  c.str(view.private_metadata, 'private_metadata', LIMITS.privateMetadata);
  c.str(view.callback_id, 'callback_id', LIMITS.id);
  c.str(view.external_id, 'external_id', LIMITS.id);
  c.bool(view.clear_on_close, 'clear_on_close');
  c.bool(view.notify_on_close, 'notify_on_close');
  return c.problems;
}

/** Problems with an options response to a block_suggestion (external select). */
export function validateOptionsResponse(body: unknown): string[] {
  const c = new Checker();
  if (!isObj(body)) return ['body: must be an object with options or option_groups'];
  if ((body.options === undefined) === (body.option_groups === undefined)) c.add('body', 'exactly one of options or option_groups is required');
  checkOptions(c, body.options, 'options', LIMITS.selectOptions, { plainOnly: true });
  c.list(body.option_groups, 'option_groups', LIMITS.selectOptions).forEach((g, i) => {
    const gp = `option_groups[${i}]`;
    if (!isObj(g)) return c.add(gp, 'must be an option group {label, options}');
    c.text(g.label, `${gp}.label`, LIMITS.optionGroupLabel, { plainOnly: true, required: true });
    checkOptions(c, g.options, `${gp}.options`, LIMITS.selectOptions, { plainOnly: true, required: true, min: 1 });
  });
  return c.problems;
}
