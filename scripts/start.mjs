// `npm start`. In a clone, dist/sandbox/start.js: the bot when Slack credentials are set, the sandbox
// (a simulated workspace on a web page) when they are not. In the production image there is no
// dist/sandbox/ (its build has only src/): `npm start` there is `node dist/main.js`, the bot alone,
// which refuses to start without credentials. Plain JavaScript: it runs the compiled files as they are.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tryIt = new URL('../dist/sandbox/start.js', import.meta.url);
const bot = new URL('../dist/main.js', import.meta.url);
await import((existsSync(fileURLToPath(tryIt)) ? tryIt : bot).href);
