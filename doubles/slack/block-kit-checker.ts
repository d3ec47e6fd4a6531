/**
 * Collects Slack-format errors: "[ERROR] <what> [json-pointer:<where>]" (doc §3.5), with the field checks
 * (strings, text objects, arrays, booleans, integers) that block-kit.ts, block-kit-elements.ts and
 * block-kit-options.ts share.
 */
export class Checker {
  readonly errors: string[] = [];

  err(msg: string, ptr: string): void {
    this.errors.push(`[ERROR] ${msg} [json-pointer:${ptr}]`);
  }

  /** String field; returns true when present and valid. Limits are "1–N characters" unless `min` says otherwise. */
  str(v: unknown, ptr: string, o: { max: number; min?: number; required?: boolean }): boolean {
    if (v === undefined || v === null) {
      if (o.required)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      return false;
    }
    if (typeof v !== 'string') {
      this.err('expected string', ptr);
      return false;
    }
    const min = o.min ?? 1;
    if (v.length < min) this.err(`must be more than ${min - 1} characters`, ptr);
    else if (v.length > o.max) this.err(`must be less than ${o.max + 1} characters`, ptr);
    else return true;
    return false;
  }

  /** Text composition object `{type:'plain_text'|'mrkdwn', text}`, text 1–3000 unless a tighter `max` applies (doc §4). */
  text(v: unknown, ptr: string, o: { plain?: boolean; max: number; required?: boolean }): void {
    if (v === undefined || v === null) {
      if (o.required)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      return;
    }
    const t = v as any;
    if (typeof t !== 'object' || Array.isArray(t)) {
      this.err('failed to match all allowed schemas (expected a text object)', ptr);
      return;
    }
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn') {
      this.err('failed to match all allowed schemas (text type must be plain_text or mrkdwn)', `${ptr}/type`);
    } else if (o.plain && t.type !== 'plain_text') {
      this.err('must be a plain_text text object', `${ptr}/type`);
    }
    if (t.type === 'mrkdwn' && t.emoji !== undefined) this.err('invalid additional property: emoji', ptr);
    this.str(t.text, `${ptr}/text`, { max: Math.min(o.max, 3000), required: true });
  }

  /** Array field with item-count limits; returns true when it is an array (even if over the limit). */
  arr(v: unknown, ptr: string, o: { min: number; max: number }): v is unknown[] {
    if (!Array.isArray(v)) {
      if (v === undefined)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      else this.err('expected array', ptr);
      return false;
    }
    if (v.length < o.min) this.err(`must provide at least ${o.min} items`, ptr);
    if (v.length > o.max) this.err(`no more than ${o.max} items allowed`, ptr);
    return true;
  }

  bool(v: unknown, ptr: string): void {
    if (v !== undefined && typeof v !== 'boolean') this.err('expected boolean', ptr);
  }

  int(v: unknown, ptr: string, min: number, max: number): void {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.err('expected integer', ptr);
    else if (v < min || v > max) this.err(`must be between ${min} and ${max}`, ptr);
  }
}
