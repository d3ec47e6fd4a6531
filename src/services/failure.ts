import { isDatabaseUnavailable } from '../db/unavailable.js';

/**
 * What kind of failure reached a listener, for the sentence the person sees: the database's SQLSTATEs and
 * driver codes are read in db/unavailable.ts, so adapters that may not import db/ ask here.
 */
export const isOutage = (error: unknown): boolean => isDatabaseUnavailable(error);
