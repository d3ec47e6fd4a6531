export { waitFor } from '../../doubles/support/until.js';
