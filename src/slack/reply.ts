import type { Logger } from 'pino';
import type { ModalView } from '@slack/types';
import { AppError, isAppError } from '../domain/errors.js';
import { isOutage } from '../services/failure.js';
import { errorText } from './error-text.js';
import { messageModal } from './views.js';

/**
 * Turns a failure into the one sentence the person sees. Expected failures (AppError) are logged at
 * debug; a database that cannot be reached gets its own "try again" sentence (logged as a warning:
 * it is an outage, not a bug); anything else is logged with its stack here, and only the generic
 * sentence reaches Slack.
 */
export function describeFailure(logger: Logger, error: unknown, context: Record<string, unknown>): string {
  if (isAppError(error)) {
    logger.debug({ ...context, code: error.code }, 'refused');
    return errorText(error);
  }
  if (isOutage(error)) {
    logger.warn({ ...context, err: error }, 'the database is unavailable');
    return errorText(new AppError('database_unavailable', 'database unavailable'));
  }
  logger.error({ ...context, err: error }, 'unexpected error in a Slack listener');
  return errorText(error);
}

/** A submission's answer when it failed: the form becomes a modal saying why, in one sentence (describeFailure). */
export function failureModalAnswer(
  logger: Logger,
  title: string,
  error: unknown,
  context: Record<string, unknown>,
): { response_action: 'update'; view: ModalView } {
  return { response_action: 'update', view: messageModal(title, describeFailure(logger, error, context)) };
}
