import { fieldText, type StoredField } from '../../domain/request-fields.js';
import { mention, userText } from '../mrkdwn.js';

/**
 * A request's custom fields (domain/request-fields.ts) as mrkdwn lines, "*Severity:* sev1": labels and
 * values are escaped (people typed them), a person is a mention, a date reads "6 Dec 2026".
 */
export function fieldLines(fields: readonly StoredField[] | undefined, separator = '\n'): string {
  return (fields ?? [])
    .map((f) => {
      const value =
        f.type === 'user' && /^[UW][A-Z0-9]{2,}$/.test(String(f.value))
          ? mention(String(f.value))
          : userText(fieldText(f), 300);
      return `*${userText(f.label, 48)}:* ${value}`;
    })
    .join(separator);
}
