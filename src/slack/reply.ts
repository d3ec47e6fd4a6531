import type { Logger } from 'pino';
import { isAppError } from '../domain/errors.js';
import { errorText } from './error-text.js';

/**
 * Turns a failure into the one sentence the person sees. Expected failures (AppError) are logged at
 * debug; anything else is logged with its stack here, and only the generic sentence reaches Slack.
 */
export function describeFailure(logger: Logger, error: unknown, context: Record<string, unknown>): string {
  if (isAppError(error)) logger.debug({ ...context, code: error.code }, 'refused');
  else logger.error({ ...context, err: error }, 'unexpected error in a Slack listener');
  return errorText(error);
}
