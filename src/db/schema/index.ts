export * from './catalog.js';
export * from './requests.js';
export * from './audit.js';
export * from './outbox.js';
export * from './sessions.js';
export * from './identity.js';
export * from './access-reviews.js';
export * from './tokens.js';
